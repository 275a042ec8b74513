"""Exercise 2: filled in below."""
CHECKS: dict = {}
