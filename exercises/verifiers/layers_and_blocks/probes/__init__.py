"""Probes: run inside the student's kernel on a challenge, return plain data (no verdicts here).

Each probe is ``probe(challenge, answers)``: ``answers`` maps names to objects (the
notebook's namespace in the kernel, `..reference.ANSWERS` in the grader). The
grader runs the same probe on the reference answers to learn what a correct
answer sends, then compares. Only torch and the grader's kernel side are imported: the course library is not
available in the sandbox. Modules are loaded in the order of `MODULES`.
"""
MODULES = ("common", "ex1", "ex2", "ex3", "ex4")
