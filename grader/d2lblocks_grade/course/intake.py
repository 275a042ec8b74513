"""Find each student's notebook in whatever shape the LMS delivered the class.

Accepted shapes, mixed freely inside SUBMISSIONS:

- ``<student>/layers-and-blocks.ipynb`` (nbgrader's own layout, any depth inside the folder)
- ``<student>.ipynb`` (a flat download)
- ``*.zip`` holding either of the above (or SUBMISSIONS itself being a zip)

A renamed notebook (``layers-and-blocks (1).ipynb``, ``Copy of ...``) is found.
When a student has several notebooks, the one named like the assignment wins;
otherwise the newest; if they are equally new the student is reported `ambiguous`.

Example::

    >>> subs = discover("submissions", "layers-and-blocks")   # doctest: +SKIP
    >>> [(s.student_id, s.status or "ok") for s in subs]       # doctest: +SKIP
    [('alice', 'ok'), ('bob', 'missing')]
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from d2lblocks_grade.course.submission_file import MAX_NOTEBOOK_BYTES, TOO_LARGE
from d2lblocks_grade.datatypes import AMBIGUOUS, INVALID, MISSING, MiB

NO_SUBMISSIONS = ("{path} does not exist. Pass the folder that holds one folder per student "
                  "(SUBMISSIONS/<student_id>/{notebook}), flat <student_id>.ipynb files, or a zip of them.")
LINK = ("{name} is a symbolic link; the grader does not follow links (one could point at another student's "
        "work). Put the notebook file itself in the submissions folder")
COLLISION = ("the submission {raw!r} cleans to the id {student!r}, which another submission already has; "
             "it is graded as {new!r} so neither overwrites the other. Check which student it belongs to")
_SKIP_PARTS = {".ipynb_checkpoints", "__MACOSX"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@+-]+")


@dataclass
class Candidate:
    """One notebook file that might be a student's submission."""

    student_id: str
    name: str  # where it was found, for messages
    data: bytes
    mtime: float
    problem: str = ""  # why it cannot be read (a link, too large): the student's status row says so
    raw_id: str = ""  # the id as the folder or file spelled it, before cleaning


@dataclass
class Submission:
    """The notebook chosen for one student, or why there is none."""

    student_id: str
    notebook_bytes: bytes | None
    submitted_name: str = ""
    submitted_at: float | None = None
    status: str = ""  # "" when a notebook was found; else MISSING or AMBIGUOUS
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def safe_student_id(raw: str) -> str:
    """A student id usable as a folder name and a database key ("Ann Lee" -> "Ann_Lee")."""
    cleaned = _UNSAFE.sub("_", raw.strip()).strip("._")
    return cleaned or "unnamed"


def _normalise(stem: str) -> str:
    stem = re.sub(r"\s*\(\d+\)$|[-_ ]\d+$", "", stem.lower())  # LMS re-upload suffixes
    stem = re.sub(r"^copy of ", "", stem)
    return re.sub(r"[^a-z0-9]", "", stem)


def _is_notebook(parts: tuple[str, ...]) -> bool:
    return parts[-1].lower().endswith(".ipynb") and not _SKIP_PARTS.intersection(parts) \
        and not parts[-1].startswith(".")


def _from_entries(entries, assignment_id: str, empty_folders: set[str]) -> list[Candidate]:
    """entries: (relative parts, read-bytes callable, mtime). The first part names the student."""
    assignment_key = _normalise(assignment_id)
    found = []
    for parts, read, mtime in entries:
        if not _is_notebook(parts):
            continue
        if len(parts) == 1:
            stem = parts[0][: -len(".ipynb")]
            # LMS flat names such as "alice_12345_layers-and-blocks.ipynb" keep the id first.
            if assignment_key and _normalise(stem).endswith(assignment_key) and "_" in stem:
                stem = stem.split("_", 1)[0]
            student = stem
        else:
            student = parts[0]
        data, problem = read()
        found.append(Candidate(safe_student_id(student), "/".join(parts), data, mtime, problem, student))
    return found


def _reader(path: Path):
    """Read a file only if it is a plain file of a sane size: a link is reported, never followed."""
    def read() -> tuple[bytes, str]:
        if path.is_symlink():
            return b"", LINK.format(name=path.name)
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return b"", TOO_LARGE.format(size=size / MiB, limit=MAX_NOTEBOOK_BYTES / MiB)
        return path.read_bytes(), ""
    return read


def _walk_dir(root: Path, assignment_id: str, empty: set[str]) -> list[Candidate]:
    entries = []
    for folder, dirs, files in os.walk(root):  # does not descend into linked folders
        here = Path(folder)
        rel_folder = here.relative_to(root).parts
        for name in sorted(dirs):
            path = here / name
            rel = (*rel_folder, name)
            if path.is_symlink():  # a linked folder: its notebooks are reported, not graded
                entries.append(((*rel, f"{name}.ipynb"), (lambda n=name: (b"", LINK.format(name=n))), 0.0))
            elif len(rel) == 1 and not any(path.rglob("*.ipynb")):
                empty.add(safe_student_id(rel[0]))
        for name in sorted(files):
            path = here / name
            rel = (*rel_folder, name)
            if not path.is_symlink() and path.suffix.lower() == ".zip" and len(rel) == 1:
                entries.extend(_zip_entries(path))
            else:
                mtime = path.lstat().st_mtime
                entries.append((rel, _reader(path), mtime))
    return _from_entries(entries, assignment_id, empty)


def _zip_entries(path: Path):
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        out = []
        for m in members:
            if not _is_notebook(PurePosixPath(m.filename).parts):
                continue
            mtime = time.mktime(m.date_time + (0, 0, -1))
            if stat.S_ISLNK(m.external_attr >> 16):
                blob, problem = b"", LINK.format(name=PurePosixPath(m.filename).name)
            elif m.file_size > MAX_NOTEBOOK_BYTES:  # also what keeps a zip bomb from being unpacked
                blob, problem = b"", TOO_LARGE.format(size=m.file_size / MiB, limit=MAX_NOTEBOOK_BYTES / MiB)
            else:
                blob, problem = archive.read(m)[: MAX_NOTEBOOK_BYTES + 1], ""
            out.append((PurePosixPath(m.filename).parts, (lambda b=blob, p=problem: (b, p)), mtime))
        # A zip of one class folder ("class/alice/x.ipynb") is common: drop the shared top folder.
        tops = {parts[0] for parts, _, _ in out if len(parts) > 1}
        if len(tops) == 1 and all(len(p) > 2 for p, _, _ in out):
            out = [(p[1:], r, t) for p, r, t in out]
        return out


def _choose(student: str, cands: list[Candidate], assignment_id: str) -> Submission:
    wanted = f"{assignment_id}.ipynb"
    broken = [c for c in cands if c.problem]
    cands = [c for c in cands if not c.problem]
    if not cands:
        return Submission(student, None, broken[0].name, status=INVALID, reason=broken[0].problem)
    if len(cands) == 1:
        c = cands[0]
        flat = "/" not in c.name
        notes = [] if flat or c.name.endswith(wanted) else [f"{student}: graded renamed notebook {c.name!r}"]
        return Submission(student, c.data, c.name, c.mtime, notes=notes)
    exact = [c for c in cands if PurePosixPath(c.name).name == wanted]
    named = exact or [c for c in cands
                      if _normalise(PurePosixPath(c.name).name[:-6]) == _normalise(assignment_id)]
    pool = named or cands
    names = ", ".join(repr(c.name) for c in sorted(cands, key=lambda c: c.name))
    if len(pool) == 1:
        return Submission(student, pool[0].data, pool[0].name, pool[0].mtime,
                          notes=[f"{student}: several notebooks ({names}); graded {pool[0].name!r}"])
    pool = sorted(pool, key=lambda c: c.mtime)
    if pool[-1].mtime > pool[-2].mtime:
        newest = pool[-1]
        return Submission(student, newest.data, newest.name, newest.mtime,
                          notes=[f"{student}: several notebooks ({names}); graded the newest, {newest.name!r}"])
    return Submission(student, None, status=AMBIGUOUS,
                      reason=f"several notebooks ({names}) and none is newer or named {wanted!r}; "
                             "keep one and grade again")


def _separate_colliding_ids(cands: list[Candidate]) -> dict[str, list[str]]:
    """Folders whose names clean to the same id ('bob' and 'bob.') stay separate students: the one
    spelled exactly like the id keeps it, every other gets the id plus a short fingerprint of its name."""
    spellings: dict[str, set[str]] = {}
    for c in cands:
        spellings.setdefault(c.student_id, set()).add(c.raw_id)
    notes: dict[str, list[str]] = {}
    for student, raw_ids in spellings.items():
        if len(raw_ids) < 2:
            continue
        for c in cands:
            if c.student_id == student and c.raw_id != student:
                c.student_id = f"{student}_{hashlib.sha1(c.raw_id.encode()).hexdigest()[:6]}"
                notes[c.student_id] = [COLLISION.format(raw=c.raw_id, student=student, new=c.student_id)]
    return notes


def discover(submissions: str | Path, assignment_id: str) -> list[Submission]:
    """One `Submission` per student found under `submissions`, sorted by student id."""
    root = Path(submissions)
    if not root.exists():
        raise FileNotFoundError(NO_SUBMISSIONS.format(path=root, notebook=f"{assignment_id}.ipynb"))
    empty: set[str] = set()
    if root.is_file() and root.suffix.lower() == ".zip":
        cands = _from_entries(_zip_entries(root), assignment_id, empty)
    elif root.is_file():
        raise NotADirectoryError(NO_SUBMISSIONS.format(path=root, notebook=f"{assignment_id}.ipynb"))
    else:
        cands = _walk_dir(root, assignment_id, empty)
    notes = _separate_colliding_ids(cands)
    by_student: dict[str, list[Candidate]] = {}
    for c in cands:
        by_student.setdefault(c.student_id, []).append(c)
    subs = [_choose(s, cs, assignment_id) for s, cs in by_student.items()]
    for sub in subs:
        sub.notes += notes.get(sub.student_id, [])
    for student in sorted(empty - set(by_student)):
        subs.append(Submission(student, None, status=MISSING,
                               reason="the student's folder holds no notebook (.ipynb)"))
    return sorted(subs, key=lambda s: s.student_id)
