"""The LMSs' side of a graded class: rosters read from Canvas and Moodle downloads (roster), the grade
files they import (gradebooks: Canvas's import CSV, Moodle's grading worksheet), and a Gradescope
autograder bundle with the results.json it writes (gradescope, gradescope_run)."""
