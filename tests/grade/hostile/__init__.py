"""Hostile submissions: generators of notebooks that try to earn points they did not earn."""
