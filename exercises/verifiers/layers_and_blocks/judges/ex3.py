"""Exercise 3: filled in below."""
CHECKS: dict = {}
