"""Verdicts decided outside the student's process.

A course that ships a verifier (``<course>/verifiers/<name>/``, named by the
assignment notebook's ``metadata.d2lblocks.verifier``) is graded in trusted
mode: each test cell is replaced by a probe call that answers a challenge drawn
at grading time, only plain data (`wire`) leaves the kernel, and the course's
judges (`checks`) score those responses in the grader's own process, which never
runs student code. Layers: `wire` (the format) and `kernel_side` (what runs in
the kernel) → `checks` (the protocol a course implements) → `course_verifier`
(loading one) → `plan` (the notebook the kernel runs) → `judging` (responses to
cell outcomes).
"""
