"""Exercise 2 probes."""
