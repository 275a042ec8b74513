"""One submission in, one result out: grade_one (validate, assemble, run, score) and scoring as nbgrader scores."""
