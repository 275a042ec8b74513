"""Exercise 4 probes."""
