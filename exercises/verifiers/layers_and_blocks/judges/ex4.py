"""Exercise 4: filled in below."""
CHECKS: dict = {}
