"""Grade a class's Layers-and-Blocks notebooks with nbgrader underneath.

The coordinator (`d2lblocks_grade.cli`) discovers submissions, hands picklable
`GradeJob`s to an executor, and is the only writer of the gradebook.
"""
