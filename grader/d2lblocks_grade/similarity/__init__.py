"""Near-duplicate answers across a class: fingerprints of normalised Python tokens (fingerprint), pairs of
students scored with the template subtracted (compare), and the side-by-side HTML page (report)."""
