"""Helpers for end-to-end tests that drive real Jupyter servers and a real browser."""
