"""``d2lblocks-grade``: grade a class's notebooks with nbgrader underneath, in parallel, durably, safely.

The layers, from the bottom up (each imports only layers below it)::

    datatypes.py       the plain data crossing process and machine boundaries (GradeJob, GradeResult, Limits)
    notebook_cells.py  facts about nbgrader cells: test or answer, grade ids, the course's markers
    nbgrader_cli.py    finding and running the nbgrader program installed beside this Python
    verify/            trusted mode: tests become probes, only plain data leaves the kernel, judges decide here
    course/            the course: master notebook and assets, which course/assignment, intake, release
    kernel/            one kernel for one submission: starting it (warm fork server), caps, environment
    integrity/         the graded notebook: master tests around student answers, tamper checks
    grading/           grade_one: one submission -> one result, scored as nbgrader scores
    dispatch/          where jobs run: a local pool or a Dask cluster
    records/           gradebook (single writer), CSV exports, feedback pages, late penalties, summary, atomic writes
    similarity/        near-duplicate answers across a class: winnowed token fingerprints, the side-by-side page
    pipeline.py        a class end to end: discover, grade what changed, record each student once
    audit/             the exercises' tests checked against a bank of right and wrong answers, graded like a class
    lms/               Canvas and Moodle import files and rosters, a Gradescope autograder bundle
    cli.py             the ``d2lblocks-grade`` command

Example::

    $ d2lblocks-grade autograde submissions/ --course exercises --out grading-out
"""
