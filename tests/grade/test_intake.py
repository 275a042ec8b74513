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


def test_a_linked_notebook_is_reported_not_followed(tmp_path):
    """A symbolic link could point at a classmate's notebook: its student gets a reason, not that work."""
    _write(tmp_path / "alice" / NB, b"ALICE")
    (tmp_path / "mallory").mkdir()
    (tmp_path / "mallory" / NB).symlink_to(tmp_path / "alice" / NB)
    (tmp_path / "eve").symlink_to(tmp_path / "alice", target_is_directory=True)
    subs = {s.student_id: s for s in discover(tmp_path, "layers-and-blocks")}
    assert subs["alice"].notebook_bytes == b"ALICE"
    for student in ("mallory", "eve"):
        assert subs[student].notebook_bytes is None and subs[student].status == "invalid-notebook"
        assert "symbolic link" in subs[student].reason


def test_ids_that_clean_to_the_same_name_stay_two_students(tmp_path):
    """'bob' and 'bob.' are different folders: neither replaces the other's notebook."""
    _write(tmp_path / "bob" / NB, b"BOB", mtime=1000)
    _write(tmp_path / "bob." / NB, b"IMPOSTOR", mtime=2000)
    subs = {s.student_id: s for s in discover(tmp_path, "layers-and-blocks")}
    assert subs["bob"].notebook_bytes == b"BOB"
    (other,) = [s for s in subs.values() if s.student_id.startswith("bob_")]
    assert other.notebook_bytes == b"IMPOSTOR" and "cleans to the id 'bob'" in other.notes[0]


def test_an_oversized_file_is_reported_without_being_read(tmp_path, monkeypatch):
    from d2lblocks_grade.course import intake

    monkeypatch.setattr(intake, "MAX_NOTEBOOK_BYTES", 10)
    _write(tmp_path / "big" / NB, b"x" * 100)
    (sub,) = discover(tmp_path, "layers-and-blocks")
    assert sub.status == "invalid-notebook" and "MiB" in sub.reason and sub.notebook_bytes is None


def test_a_link_inside_a_zip_is_reported(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("alice/" + NB, "A")
        link = zipfile.ZipInfo("mallory/" + NB)
        link.external_attr = (0o120777 << 16)  # a symbolic link, as `zip --symlinks` stores it
        zf.writestr(link, "../alice/" + NB)
    subs = {s.student_id: s for s in discover(archive, "layers-and-blocks")}
    assert subs["alice"].notebook_bytes == b"A"
    assert subs["mallory"].status == "invalid-notebook" and "symbolic link" in subs["mallory"].reason


def test_a_zip_in_the_folder_is_its_uploaders_alone(tmp_path):
    """Paths inside a student's zip never pick a student: 'honest/...' in mallory's zip is still mallory's."""
    _write(tmp_path / "honest" / NB, b"HONEST", mtime=1000)
    with zipfile.ZipFile(tmp_path / "mallory.zip", "w") as zf:
        info = zipfile.ZipInfo(f"honest/{NB}", date_time=(2099, 1, 1, 0, 0, 0))
        zf.writestr(info, "BLANK")
        zf.writestr(f"ghost/{NB}", "GHOST")
        zf.writestr("honest/timestamp.txt", "2099-01-01 00:00:00 UTC")
    subs = {s.student_id: s for s in discover(tmp_path, "layers-and-blocks")}
    assert set(subs) == {"honest", "mallory"}
    assert subs["honest"].notebook_bytes == b"HONEST"


def test_a_zip_that_unpacks_to_too_much_is_refused_without_unpacking_it(tmp_path, monkeypatch):
    from d2lblocks_grade.course import intake

    monkeypatch.setattr(intake, "MAX_UPLOAD_BYTES", 1000)
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"n{i}.ipynb", " " * 2000)
    (sub,) = discover(tmp_path, "layers-and-blocks")
    assert sub.student_id == "bomb" and sub.status == "invalid-notebook" and "unpacks to more than" in sub.reason


def test_a_pipe_named_like_a_notebook_is_reported_not_read(tmp_path):
    (tmp_path / "alice").mkdir()
    os.mkfifo(tmp_path / "alice" / NB)
    (sub,) = discover(tmp_path, "layers-and-blocks")
    assert sub.status == "invalid-notebook" and "not an ordinary file" in sub.reason
