"""Find each student's notebook in whatever shape the LMS delivered the class.

Accepted shapes, mixed freely inside SUBMISSIONS:

- ``<student>/layers-and-blocks.ipynb`` (nbgrader's own layout, any depth inside the folder)
- ``<student>.ipynb`` (a flat download)
- ``*.zip`` holding either of the above (or SUBMISSIONS itself being a zip)

A renamed notebook (``layers-and-blocks (1).ipynb``, ``Copy of ...``) is found.
When a student has several notebooks, the one named like the assignment wins;
otherwise the newest; if they are equally new the student is reported `ambiguous`.

LMS download names are read, not kept as ids (see `lms_names`): a Canvas file
``doejane_LATE_12345_67890_hw2.ipynb`` is the student ``doejane`` with Canvas
user id ``12345`` and Canvas's LATE flag; a Moodle folder ``Jane Doe_731_assignsubmission_file_``
is the student ``Jane_Doe``, participant ``731``. Two students the LMS names alike
stay apart (``smithjohn_12345``, ``smithjohn_23456``).

The submission's time is an nbgrader ``timestamp.txt`` beside the notebook if there
is one, else the file's modification time (see ``records.late`` for how an LMS's
LATE flag weighs in once the due date is known).

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
from datetime import timezone
from pathlib import Path, PurePosixPath

from nbgrader.utils import parse_utc

from d2lblocks_grade.course.lms_names import LmsName, canvas_name, moodle_name
from d2lblocks_grade.course.submission_file import MAX_NOTEBOOK_BYTES, TOO_LARGE
from d2lblocks_grade.datatypes import AMBIGUOUS, INVALID, MISSING, MiB

NO_SUBMISSIONS = ("{path} does not exist. Pass the folder that holds one folder per student "
                  "(SUBMISSIONS/<student_id>/{notebook}), flat <student_id>.ipynb files, or a zip of them.")
LINK = ("{name} is a symbolic link; the grader does not follow links (one could point at another student's "
        "work). Put the notebook file itself in the submissions folder")
BAD_TIMESTAMP = ("{student}: {path} does not hold a time ({text!r}); nbgrader writes one line such as "
                 "'2026-12-01 23:59:00.000000 UTC'. The notebook's file time was used instead; fix the file "
                 "and grade again if that matters")
COLLISION = ("the submission {raw!r} cleans to the id {student!r}, which another submission already has; "
             "it is graded as {new!r} so neither overwrites the other. Check which student it belongs to")
TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's record of when a submission arrived
FILE_TIME = "file time"
MAX_TIMESTAMP_BYTES = 200
NOT_A_FILE = "{name} is not an ordinary file (a pipe or a device); put the notebook file itself in the folder"
BAD_UPLOAD = "{name} could not be read as a zip ({error}); upload the notebook itself, or a zip of it"
MAX_UPLOAD_BYTES = 2 * MAX_NOTEBOOK_BYTES  # what one student's zip may unpack to
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
    lms: LmsName | None = None  # who an LMS download name says the file belongs to
    timestamp: str | None = None  # the text of a timestamp.txt beside the notebook


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
    time_source: str = ""  # where submitted_at came from: "timestamp.txt" or "file time"
    lms: LmsName | None = None  # the LMS's id for this student, from its download names


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


def _from_entries(entries, assignment_id: str, empty: set[str],
                  stamps: dict[tuple[str, ...], str] | None = None) -> list[Candidate]:
    """entries: (relative parts, read-bytes callable, mtime). The first part names the student.

    `stamps` maps a folder (relative parts) to the text of the timestamp.txt it holds.
    """
    assignment_key = _normalise(assignment_id)
    stamps = stamps or {}
    found = []
    for parts, read, mtime in entries:
        if not _is_notebook(parts):
            continue
        lms = None
        if len(parts) == 1:
            stem = parts[0][: -len(".ipynb")]
            lms = canvas_name(parts[0]) or moodle_name(stem)
            if lms is not None:
                stem = lms.name
            # LMS flat names such as "alice_12345_layers-and-blocks.ipynb" keep the id first.
            elif assignment_key and _normalise(stem).endswith(assignment_key) and "_" in stem:
                stem = stem.split("_", 1)[0]
            student = stem
        else:
            lms = moodle_name(parts[0])
            student = lms.name if lms is not None else parts[0]
        data, problem = read()
        found.append(Candidate(safe_student_id(student), "/".join(parts), data, mtime, problem, student, lms,
                               stamps.get(tuple(parts[:-1])) if len(parts) > 1 else None))
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


def _read_stamp(path: Path) -> str:
    if not stat.S_ISREG(path.lstat().st_mode) or path.stat().st_size > MAX_TIMESTAMP_BYTES:
        return ""  # not a time: the file's own time is used, with a note
    return path.read_text(encoding="utf-8", errors="replace")


def _walk_dir(root: Path, assignment_id: str, empty: set[str]) -> list[Candidate]:
    entries = []
    stamps: dict[tuple[str, ...], str] = {}
    for folder, dirs, files in os.walk(root):  # does not descend into linked folders
        here = Path(folder)
        rel_folder = here.relative_to(root).parts
        for name in sorted(dirs):
            path = here / name
            rel = (*rel_folder, name)
            if path.is_symlink():  # a linked folder: its notebooks are reported, not graded
                entries.append(((*rel, f"{name}.ipynb"), (lambda n=name: (b"", LINK.format(name=n))), 0.0))
            elif len(rel) == 1 and not any(path.rglob("*.ipynb")):
                lms = moodle_name(rel[0])
                empty.add(safe_student_id(lms.name if lms is not None else rel[0]))
        for name in sorted(files):
            path = here / name
            rel = (*rel_folder, name)
            mode = path.lstat().st_mode
            if not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):  # a FIFO or a device would block or never end
                if name.lower().endswith((".ipynb", ".zip")):
                    shown = rel if name.lower().endswith(".ipynb") else (*rel[:-1], f"{name}.ipynb")
                    entries.append((shown, (lambda n=name: (b"", NOT_A_FILE.format(name=n))), 0.0))
            elif not path.is_symlink() and path.suffix.lower() == ".zip":
                # A zip inside the folder is one student's upload: whatever paths it holds, its notebooks
                # are that student's (named by the zip, or the folder it is in), and its own timestamp.txt
                # is not evidence (the student wrote it).
                entries.extend(_upload_entries(path, rel))
            elif name == TIMESTAMP_FILE and len(rel) > 1:
                stamps[rel_folder] = _read_stamp(path)
            else:
                mtime = path.lstat().st_mtime
                entries.append((rel, _reader(path), mtime))
    return _from_entries(entries, assignment_id, empty, stamps)


def _upload_entries(path: Path, rel: tuple[str, ...]):
    """A student's zip as entries of that student alone: a flat zip is named like a flat notebook
    (LMS names included), a zip in a student's folder belongs to that folder. The paths inside never
    choose a student."""
    def key(member: str) -> tuple[str, ...]:
        if len(rel) == 1:
            return (f"{path.stem}.ipynb",)
        return (*rel[:-1], f"{path.name}:{member.replace('/', '_')}")

    try:
        zipped, _ = _zip_entries(path, budget=MAX_UPLOAD_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        reason = BAD_UPLOAD.format(name=path.name, error=error)
        return [(key("upload.ipynb"), (lambda r=reason: (b"", r)), path.lstat().st_mtime)]
    return [(key("/".join(parts)), read, mtime) for parts, read, mtime in zipped]


def _zip_entries(path: Path, budget: int | None = None):
    """(entries, timestamps by folder) of a zip's notebooks, as `_from_entries` takes them."""
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        unpacked = sum(m.file_size for m in members if _is_notebook(PurePosixPath(m.filename).parts))
        if budget is not None and unpacked > budget:
            raise ValueError(f"it unpacks to more than {budget // MiB} MiB of notebooks")
        out = []
        stamps: dict[tuple[str, ...], str] = {}
        for m in members:
            parts = PurePosixPath(m.filename).parts
            if parts[-1] == TIMESTAMP_FILE and len(parts) > 1 and m.file_size <= MAX_TIMESTAMP_BYTES:
                stamps[parts[:-1]] = archive.read(m).decode("utf-8", errors="replace")
                continue
            if not _is_notebook(parts):
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
            stamps = {folder[1:]: text for folder, text in stamps.items() if folder[:1] == tuple(tops)}
        return out, stamps


def _picked(student: str, c: Candidate, notes: list[str]) -> Submission:
    """The submission of candidate `c`, timed by its timestamp.txt if it has a readable one."""
    when, source = c.mtime, FILE_TIME
    if c.timestamp is not None:
        try:
            if not c.timestamp.strip():
                raise ValueError("empty")
            when, source = parse_utc(c.timestamp.strip()).replace(tzinfo=timezone.utc).timestamp(), TIMESTAMP_FILE
        except (ValueError, OverflowError, TypeError):
            when, source = c.mtime, FILE_TIME
            folder = str(PurePosixPath(c.name).parent)
            notes = notes + [BAD_TIMESTAMP.format(student=student, path=f"{folder}/{TIMESTAMP_FILE}",
                                                  text=c.timestamp.strip()[:60])]
    return Submission(student, c.data, c.name, when, notes=notes, time_source=source, lms=c.lms)


def _choose(student: str, cands: list[Candidate], assignment_id: str) -> Submission:
    wanted = f"{assignment_id}.ipynb"
    broken = [c for c in cands if c.problem]
    cands = [c for c in cands if not c.problem]
    if not cands:
        return Submission(student, None, broken[0].name, status=INVALID, reason=broken[0].problem,
                          lms=broken[0].lms)
    if len(cands) == 1:
        c = cands[0]
        flat = "/" not in c.name
        notes = [] if flat or c.name.endswith(wanted) else [f"{student}: graded renamed notebook {c.name!r}"]
        return _picked(student, c, notes)
    exact = [c for c in cands if PurePosixPath(c.name).name == wanted]
    named = exact or [c for c in cands
                      if _normalise(PurePosixPath(c.name).name[:-6]) == _normalise(assignment_id)
                      or (c.lms is not None and "/" not in c.name
                          and _normalise(_original_name(c.name)) == _normalise(assignment_id))]
    pool = named or cands
    names = ", ".join(repr(c.name) for c in sorted(cands, key=lambda c: c.name))
    if len(pool) == 1:
        return _picked(student, pool[0], [f"{student}: several notebooks ({names}); graded {pool[0].name!r}"])
    pool = sorted(pool, key=lambda c: c.mtime)
    if pool[-1].mtime > pool[-2].mtime:
        newest = pool[-1]
        return _picked(student, newest, [f"{student}: several notebooks ({names}); graded the newest, {newest.name!r}"])
    return Submission(student, None, status=AMBIGUOUS, lms=cands[0].lms,
                      reason=f"several notebooks ({names}) and none is newer or named {wanted!r}; "
                             "keep one and grade again")


def _original_name(flat_name: str) -> str:
    """The file name the student uploaded, from an LMS download name ('doejane_1_2_hw-1.ipynb' -> 'hw-1')."""
    match = re.match(r"^.+?_(?:late_)?\d+_\d+_(.+)\.ipynb$", flat_name, re.I) or \
        re.match(r"^.+?_\d+_assignsubmission_(?:file|onlinetext)_?(.+)\.ipynb$", flat_name)
    return match.group(1) if match else flat_name[:-6]


def _separate_lms_namesakes(cands: list[Candidate]) -> None:
    """Two students an LMS names alike ('smithjohn' with user ids 12345 and 23456) become
    'smithjohn_12345' and 'smithjohn_23456': one LMS user is one student, never two merged."""
    users: dict[str, set[str]] = {}
    for c in cands:
        if c.lms is not None:
            users.setdefault(c.student_id, set()).add(c.lms.user_id)
    for c in cands:
        if c.lms is not None and len(users.get(c.student_id, ())) > 1:
            c.student_id = f"{c.student_id}_{c.lms.user_id}"
            c.raw_id = c.student_id


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
        entries, stamps = _zip_entries(root)
        cands = _from_entries(entries, assignment_id, empty, stamps)
    elif root.is_file():
        raise NotADirectoryError(NO_SUBMISSIONS.format(path=root, notebook=f"{assignment_id}.ipynb"))
    else:
        cands = _walk_dir(root, assignment_id, empty)
    _separate_lms_namesakes(cands)
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
