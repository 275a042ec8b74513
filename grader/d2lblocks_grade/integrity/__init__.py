"""The notebook that is graded: the master's tests around the student's answers (assemble) and the
tamper checks around every test (instrument, harness)."""
