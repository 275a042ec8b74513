"""Testing the tests: the answer bank (bank), graded by the project's trusted mode (trusted) or by stock
nbgrader driven on copies of the course (stock_nbgrader), the run (run) and its table (report)."""
