"""Judges: run in the grader's process, compare a kernel's response with the reference's, explain."""
