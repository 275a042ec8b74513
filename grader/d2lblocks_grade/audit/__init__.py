"""Testing the tests: the answer bank (bank), stock nbgrader driven on a copy of the course
(stock_nbgrader), the run (run) and its table (report)."""
