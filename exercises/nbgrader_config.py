"""nbgrader configuration of the d2lblocks course: run nbgrader commands from this folder.

    cd exercises
    nbgrader generate_assignment --force                                    # source/ -> release/
    nbgrader autograde                                                      # submitted/ -> autograded/
    nbgrader generate_assignment --assignment layers-and-blocks-ja --force  # the Japanese edition

Without --assignment a command means the default assignment named below. nbgrader refuses an assignment
given as a bare argument (`nbgrader autograde layers-and-blocks`) while this file names a default: pass
--assignment ID instead.
"""
import os

c = get_config()  # noqa: F821 -- nbgrader provides get_config() when it loads this file

# Paths relative to this file, so the course works from any checkout location.
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "d2lblocks"
# Two assignments: layers-and-blocks (English) and layers-and-blocks-ja (Japanese). A command that names
# none (nbgrader autograde, d2lblocks-grade ... without --assignment) means the English one.
c.CourseDirectory.assignment_id = "layers-and-blocks"
c.CourseDirectory.root = HERE
# timeout=30 is passed by SQLAlchemy to sqlite3.connect: a writer waits up to 30 s for
# a lock held by another nbgrader process instead of failing and dropping the submission.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db") + "?timeout=30"

# Every cell is small and fast; the limit only stops a student's endless loop.
c.ExecutePreprocessor.timeout = 60

# The stub students see in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
