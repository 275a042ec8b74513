"""Finding each student's notebook in the shapes an LMS delivers a class in."""

import os
import zipfile

import pytest

from d2lblocks_grade.course.intake import discover, safe_student_id
from d2lblocks_grade.datatypes import AMBIGUOUS, MISSING

NB = "layers-and-blocks.ipynb"


def _write(path, data=b"{}", mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_folder_per_student_and_flat_files_are_both_found(tmp_path):
    """SUBMISSIONS/<student>/layers-and-blocks.ipynb and SUBMISSIONS/<student>.ipynb name the student."""
    _write(tmp_path / "alice" / NB, b"A")
    _write(tmp_path / "bob.ipynb", b"B")
    subs = {s.student_id: s for s in discover(tmp_path, "layers-and-blocks")}
    assert subs["alice"].notebook_bytes == b"A" and subs["bob"].notebook_bytes == b"B"
    assert not subs["alice"].notes and not subs["bob"].notes


def test_renamed_notebook_is_found_and_noted(tmp_path):
    """A browser's 'layers-and-blocks (1).ipynb' is graded, and the note says which file it was."""
    _write(tmp_path / "carol" / "layers-and-blocks (1).ipynb", b"C")
    (sub,) = discover(tmp_path, "layers-and-blocks")
    assert sub.notebook_bytes == b"C" and "layers-and-blocks (1).ipynb" in sub.notes[0]


def test_exact_name_wins_over_a_scratch_notebook(tmp_path):
    """With the assignment and an Untitled.ipynb side by side, the assignment is graded."""
    _write(tmp_path / "dan" / NB, b"real", mtime=1000)
    _write(tmp_path / "dan" / "Untitled.ipynb", b"scratch", mtime=2000)
    (sub,) = discover(tmp_path, "layers-and-blocks")
    assert sub.notebook_bytes == b"real"


def test_newest_of_two_renamed_copies_wins_and_equal_ages_are_ambiguous(tmp_path):
    """Two re-uploads: the newer one counts; if neither is newer the student is reported ambiguous."""
    _write(tmp_path / "eve" / "layers-and-blocks (1).ipynb", b"old", mtime=1000)
    _write(tmp_path / "eve" / "layers-and-blocks (2).ipynb", b"new", mtime=2000)
    _write(tmp_path / "fay" / "a.ipynb", b"x", mtime=1000)
    _write(tmp_path / "fay" / "b.ipynb", b"y", mtime=1000)
    subs = {s.student_id: s for s in discover(tmp_path, "layers-and-blocks")}
    assert subs["eve"].notebook_bytes == b"new"
    assert subs["fay"].status == AMBIGUOUS and "a.ipynb" in subs["fay"].reason and subs["fay"].notebook_bytes is None


def test_zip_of_the_class_is_read(tmp_path):
    """A zip holding <student>/layers-and-blocks.ipynb (under one class folder) grades like the folders."""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"week5/gus/{NB}", b"G")
        z.writestr(f"week5/hal/{NB}", b"H")
        z.writestr(f"week5/hal/.ipynb_checkpoints/{NB[:-6]}-checkpoint.ipynb", b"ignored")
    subs = {s.student_id: s.notebook_bytes for s in discover(archive, "layers-and-blocks")}
    assert subs == {"gus": b"G", "hal": b"H"}


def test_empty_student_folder_is_missing(tmp_path):
    """A folder with no notebook becomes a `missing` student, with the reason."""
    (tmp_path / "ida").mkdir()
    (sub,) = discover(tmp_path, "layers-and-blocks")
    assert sub.status == MISSING and "no notebook" in sub.reason


def test_unsafe_student_names_become_folder_safe():
    """Spaces and slashes in an LMS name cannot escape the output folder."""
    assert safe_student_id("Ann Lee") == "Ann_Lee"
    assert "/" not in safe_student_id("../../etc") and safe_student_id("..") == "unnamed"


def test_nonexistent_submissions_folder_names_the_fix(tmp_path):
    """A wrong path says what SUBMISSIONS should hold."""
    with pytest.raises(FileNotFoundError, match="one folder per student"):
        discover(tmp_path / "nope", "layers-and-blocks")
