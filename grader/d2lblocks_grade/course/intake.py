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

import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from d2lblocks_grade.datatypes import AMBIGUOUS, MISSING

NO_SUBMISSIONS = ("{path} does not exist. Pass the folder that holds one folder per student "
                  "(SUBMISSIONS/<student_id>/{notebook}), flat <student_id>.ipynb files, or a zip of them.")
_SKIP_PARTS = {".ipynb_checkpoints", "__MACOSX"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@+-]+")


@dataclass
class Candidate:
    """One notebook file that might be a student's submission."""

    student_id: str
    name: str  # where it was found, for messages
    data: bytes
    mtime: float


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
        found.append(Candidate(safe_student_id(student), "/".join(parts), read(), mtime))
    return found


def _walk_dir(root: Path, assignment_id: str, empty: set[str]) -> list[Candidate]:
    entries = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if path.is_dir() and len(rel) == 1 and not any(path.rglob("*.ipynb")):
            empty.add(safe_student_id(rel[0]))
        elif path.is_file() and path.suffix.lower() == ".zip" and len(rel) == 1:
            entries.extend(_zip_entries(path))
        elif path.is_file():
            entries.append((rel, path.read_bytes, path.stat().st_mtime))
    return _from_entries(entries, assignment_id, empty)


def _zip_entries(path: Path):
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        blobs = {m.filename: archive.read(m) for m in members
                 if _is_notebook(PurePosixPath(m.filename).parts)}
        out = []
        for m in members:
            if m.filename in blobs:
                mtime = time.mktime(m.date_time + (0, 0, -1))
                out.append((PurePosixPath(m.filename).parts, (lambda b=blobs[m.filename]: b), mtime))
        # A zip of one class folder ("class/alice/x.ipynb") is common: drop the shared top folder.
        tops = {parts[0] for parts, _, _ in out if len(parts) > 1}
        if len(tops) == 1 and all(len(p) > 2 for p, _, _ in out):
            out = [(p[1:], r, t) for p, r, t in out]
        return out


def _choose(student: str, cands: list[Candidate], assignment_id: str) -> Submission:
    wanted = f"{assignment_id}.ipynb"
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
    by_student: dict[str, list[Candidate]] = {}
    for c in cands:
        by_student.setdefault(c.student_id, []).append(c)
    subs = [_choose(s, cs, assignment_id) for s, cs in by_student.items()]
    for student in sorted(empty - set(by_student)):
        subs.append(Submission(student, None, status=MISSING,
                               reason="the student's folder holds no notebook (.ipynb)"))
    return sorted(subs, key=lambda s: s.student_id)
