"""Exercise 3 probes."""
