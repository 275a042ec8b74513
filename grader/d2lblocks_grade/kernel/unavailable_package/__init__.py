"""Stands in for the course library inside a grading sandbox: its import fails, saying why.

The course library holds the reference answers the verifier compares with, so a
submission graded here cannot import it (an answer must be the student's own).
"""
raise ImportError("the course library d2lblocks is not available while your notebook is graded: "
                  "the exercises ask for your own blocks, so write them with torch and torch.nn only")
