"""nbgrader configuration of the d2lblocks course: run nbgrader commands from this folder.

    cd exercises
    nbgrader generate_assignment layers-and-blocks --force      # source/ -> release/
    nbgrader generate_assignment layers-and-blocks-ja --force   # the Japanese edition
    nbgrader autograde layers-and-blocks                        # submitted/ -> autograded/

nbgrader's own commands take the assignment as nbgrader documents it (positional, or --assignment ID);
this file sets no c.CourseDirectory.assignment_id, since nbgrader refuses a positional id while one is set.
`d2lblocks-grade` commands that name no assignment mean the default below, which only d2lblocks-grade reads.
"""
import os

c = get_config()  # noqa: F821 -- nbgrader provides get_config() when it loads this file

# Paths relative to this file, so the course works from any checkout location.
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "d2lblocks"
# Two assignments: layers-and-blocks (English) and layers-and-blocks-ja (Japanese). A d2lblocks-grade
# command that names none means the English one. nbgrader itself ignores this section.
c.D2lblocksGrade.default_assignment = "layers-and-blocks"
c.CourseDirectory.root = HERE
# The concrete fixes hint() prints: in the course library, never in a notebook. `d2lblocks-grade release`
# fails when one of them, or the code it gives away, appears in a released notebook (nbgrader ignores this).
c.D2lblocksGrade.hints = "d2lblocks.exercises:FIXES"
# timeout=30 is passed by SQLAlchemy to sqlite3.connect: a writer waits up to 30 s for
# a lock held by another nbgrader process instead of failing and dropping the submission.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db") + "?timeout=30"

# Every cell is small and fast; the limit only stops a student's endless loop.
c.ExecutePreprocessor.timeout = 60

# The stub students see in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
