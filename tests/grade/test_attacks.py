"""Attacking the grader through its real command line, as root and as an ordinary user.

One class holds honest students, an honest twin, one attacker per attack in
`attacks.py` (a correct notebook plus the attack) and files that are not proper
notebooks. It is graded once per mode by `d2lblocks-grade autograde`, with a
canary secret in the grader's environment. Every protection is then judged from
outside: the attacker scores what its twin scores, honest students keep full
marks, no secret, hidden line or classmate's text shows up anywhere, nothing
the run started survives it, and the run finishes.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from attacks import ACTIVE_WORDS, ATTACKS, HOSTILE_MARKDOWN, OUTPUT_KINDS, deep_json
from conftest import require_program
from grader_fixtures import CORRECT, HIDDEN_LINE, NOTEBOOK, grades, make_course, recorded, student_notebook

pytestmark = pytest.mark.slow

CANARY = "canary" + secrets.token_hex(6)
TOKEN = str(secrets.randbelow(10**6)).zfill(6)  # in the command lines of the processes the attacks start
MARKER = "private-note-" + secrets.token_hex(6)
HONEST = ("honest1", "honest2", "honest3")
SECRETS = {"DATABASE_URL": f"postgresql://grader:{CANARY}@db/grades", "GITHUB_TOKEN": CANARY,
           "PGPASSWORD": CANARY, "AWS_SECRET_ACCESS_KEY": CANARY}


def _with_cell(course: Path, code: str, markdown: str | None = None) -> bytes:
    def add(nb):
        at = 2  # after the setup cell: runs before every answer and test
        nb.cells.insert(at, nbformat.v4.new_code_cell(code))
        if markdown:
            nb.cells.insert(at, nbformat.v4.new_markdown_cell(markdown))
    return student_notebook(course, CORRECT, edit=add)


def _broken(course: Path) -> dict[str, bytes]:
    good = nbformat.reads(student_notebook(course, CORRECT).decode(), as_version=4)
    as_string = nbformat.writes(good).replace('"metadata": {', '"metadata": "x", "ignored": {', 1)
    grade_id_list = nbformat.writes(good).replace('"grade_id": "ex1_net"', '"grade_id": ["ex1_net"]')
    return {"deep-json": deep_json(), "metadata-string": as_string.encode(),
            "grade-id-list": grade_id_list.encode(), "binary": secrets.token_bytes(4096),
            "huge": b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "pad": "'
                    + b"x" * (40 << 20) + b'"}'}


def build_class(root: Path, course: Path, port: int, out: Path) -> Path:
    subs = root / "submissions"
    places = {"course": course, "out": out, "subs": subs, "port": port, "token": TOKEN}
    files = {f"{name}/{NOTEBOOK}": student_notebook(course, {**CORRECT, "ex2_double": CORRECT["ex2_double"]
                                                             + f"  # {MARKER}"}) for name in HONEST}
    files[f"twin/{NOTEBOOK}"] = student_notebook(course, CORRECT)
    for attack in ATTACKS:
        markdown = HOSTILE_MARKDOWN if attack.name == "active-content" else None
        files[f"attack-{attack.name}/{NOTEBOOK}"] = _with_cell(course, attack.cell.format(**places), markdown)
    files.update({f"broken-{name}/{NOTEBOOK}": data for name, data in _broken(course).items()})
    files[f"honest1./{NOTEBOOK}"] = student_notebook(course)  # cleans to honest1's id
    for name, data in files.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_bytes(data)
    (subs / "linker").mkdir()
    (subs / "linker" / NOTEBOOK).symlink_to(subs / "honest1" / NOTEBOOK)
    return subs


class Listener:
    """A TCP server on the host's loopback that counts who connects (no one should)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.server.getsockname()[1], 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.server.accept()[0].close()
                self.connections += 1
            except OSError:
                return


def _user_python(base: Path) -> list[str]:
    """A Python an ordinary user may run (the project's interpreter lives under /root), seeing our packages."""
    venv = base / "user-venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "project.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", str(venv / "bin" / "python")]


@pytest.fixture(scope="module", params=["grader-user", "unprivileged"])
def graded(request):
    require_program("bwrap")
    if request.param == "unprivileged" and (os.geteuid() != 0 or not os.path.exists("/usr/bin/python3")):
        pytest.skip("the unprivileged run needs root (to switch users) and /usr/bin/python3")
    base = Path(tempfile.mkdtemp(prefix="attack-class-"))
    base.chmod(0o755)
    course = make_course(base)
    out = base / "out"
    out.mkdir()
    listener = Listener()
    subs = build_class(base, course, listener.port, out)
    before = {name: hashlib.sha256((subs / name / NOTEBOOK).read_bytes()).hexdigest() for name in HONEST}
    folders_before = {folder: set(os.listdir(folder)) for folder in ("/tmp", "/dev/shm")}
    env = {**os.environ, **SECRETS, "HOME": str(base)}
    if request.param == "unprivileged":
        command = _user_python(base)
        subprocess.run(["chown", "-R", "65534:65534", str(out)], check=True)
        subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
    else:
        command = [sys.executable]
    code = "import sys; del sys.path[0]; from d2lblocks_grade.cli import main; sys.exit(main())"
    started = time.monotonic()
    run = subprocess.run([*command, "-c", code, "autograde", str(subs), "--course", str(course), "--out", str(out),
                          "--workers", "2", "--cell-timeout", "20", "--timeout", "90", "--quiet"],
                         capture_output=True, text=True, env=env, timeout=900, cwd=base)
    time.sleep(10)  # the escapers' timers: anything they could still do, they have now done
    yield {"run": run, "out": out, "subs": subs, "before": before, "listener": listener, "base": base,
           "folders_before": folders_before,
           "seconds": time.monotonic() - started}
    shutil.rmtree(base, ignore_errors=True)


def score(rows: dict[str, dict]) -> float:
    return sum(float(r["score"] or 0) for gid, r in rows.items() if gid != "ex1_explain")


def test_the_run_finishes_and_every_student_has_a_row(graded):
    assert graded["run"].returncode == 0, graded["run"].stderr[-3000:]
    students = set(grades(graded["out"]))
    expected = {*HONEST, "twin", "linker", *(f"attack-{a.name}" for a in ATTACKS),
                *(f"broken-{n}" for n in ("deep-json", "metadata-string", "grade-id-list", "binary", "huge"))}
    assert expected <= students
    assert [s for s in students if s.startswith("honest1_")], "the colliding 'honest1.' got an id of its own"


def test_honest_students_and_the_twin_keep_full_marks(graded):
    rows = grades(graded["out"])
    for student in (*HONEST, "twin"):
        assert score(rows[student]) == 3, rows[student]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_each_attacker_scores_what_its_honest_twin_scores(graded, attack):
    rows = grades(graded["out"])
    mine, twin = score(rows[f"attack-{attack.name}"]), score(rows["twin"])
    if attack.may_hurt_itself:
        assert mine <= twin
    else:
        assert mine == twin, rows[f"attack-{attack.name}"]


def test_files_that_are_not_notebooks_get_a_reason_and_harm_no_one(graded):
    rows = grades(graded["out"])
    reasons = {student: next(iter(cells.values()))["reason"] for student, cells in rows.items()}
    assert "deeper" in reasons["broken-deep-json"] or "levels deep" in reasons["broken-deep-json"]
    assert "metadata is not a JSON object" in reasons["broken-metadata-string"]
    assert "grade_id is not text" in reasons["broken-grade-id-list"]
    assert "not valid JSON" in reasons["broken-binary"]
    assert "MiB" in reasons["broken-huge"]
    assert "symbolic link" in reasons["linker"]
    for student in ("broken-deep-json", "broken-metadata-string", "broken-grade-id-list", "broken-binary",
                    "broken-huge", "linker"):
        assert {r["status"] for r in rows[student].values()} == {"invalid-notebook"}


def test_no_secret_hidden_test_or_classmates_text_appears_in_any_page(graded):
    out = graded["out"]
    for page in (out / "feedback").rglob("*.html"):
        text = page.read_text(errors="replace")
        assert CANARY not in text and HIDDEN_LINE not in text, page
        if page.parts[-3] not in HONEST:
            assert MARKER not in text, page
    for notebook in (out / "autograded").rglob("*.ipynb"):
        text = notebook.read_text(errors="replace")
        assert CANARY not in text, notebook
        if notebook.parts[-3] not in HONEST:
            assert MARKER not in text, notebook


def printed(path: Path) -> str:
    """What a graded notebook's cells printed (not their source, which names what the attack looks for)."""
    nb = nbformat.read(path, as_version=4)
    return "".join(str(o.get("text", "")) for cell in nb.cells for o in cell.get("outputs", []))


def test_nothing_outside_the_submission_was_read_or_changed(graded):
    out, subs = graded["out"], graded["subs"]
    csv_text = (out / "grades.csv").read_text()
    assert "hacked" not in csv_text and "escaped" not in csv_text
    for name, digest in graded["before"].items():
        assert hashlib.sha256((subs / name / NOTEBOOK).read_bytes()).hexdigest() == digest
    assert graded["listener"].connections == 0
    flagged = ("REACHED ['", "HIJACKED 1", "NETWORK [(", "NETWORK ['", "ESCAPED")
    for attack in ("course-gradebook-and-classmates", "hijack-other-kernels", "network", "keyring-and-namespaces"):
        text = "".join(printed(path) for path in (out / "autograded" / f"attack-{attack}").rglob("*.ipynb"))
        assert not any(flag in text for flag in flagged), (attack, [line for line in text.splitlines()
                                                                    if any(f in line for f in flagged)][:3])


def test_nothing_the_run_started_survives_it(graded):
    leftovers = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        # Only this run's marks: other grading on the same machine must not count against it.
        if f"300.{TOKEN}".encode() in command or CANARY.encode() in command:
            leftovers.append(command[:120])
    assert leftovers == []
    ours = ("d2lg-", "d2lblocks-grade", "attack-fill", "kernel-")  # the grader's and the attacks' names
    for folder, before in graded["folders_before"].items():
        new = [name for name in set(os.listdir(folder)) - before if name.startswith(ours) or "attack-fill" in name]
        assert new == [], f"left behind in {folder}"


class ActiveHTML(HTMLParser):
    """Collects what a browser would run: script elements, event-handler attributes, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(tag)
        self.found += [f"{tag} {name}" for name, value in attrs
                       if name.startswith("on") or "javascript:" in (value or "").lower()]


def active_parts(html: str) -> list[str]:
    parser = ActiveHTML()
    parser.feed(html)
    return parser.found


def test_what_instructors_open_has_no_active_content(graded):
    out = graded["out"]
    for page in (out / "feedback").rglob("*.html"):
        assert active_parts(page.read_text(errors="replace")) == [], page
    for path in (out / "autograded").rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":  # rendered as HTML by formgrader and JupyterLab
                assert active_parts(cell.source) == [], (path, cell.source[:200])
            for output in cell.get("outputs", []):
                rendered = {kind for kind in output.get("data", {}) if kind != "text/plain"}
                assert not rendered & {"text/html", "application/javascript", "image/svg+xml"}, path
                assert not any(word in str(output.get("data", {})).lower() for word in ACTIVE_WORDS
                               if word != "<script"), path


@pytest.mark.parametrize("attack", ["output-flood", *(attack.name for attack in OUTPUT_KINDS)])
def test_an_output_flood_of_any_kind_leaves_a_small_notebook_and_page(graded, attack):
    """Within the caps (8 MiB a notebook) whatever kind of output flooded it; the record says what was dropped."""
    (flooded,) = (graded["out"] / "autograded" / f"attack-{attack}").rglob("*.ipynb")
    assert flooded.stat().st_size < 12 << 20
    assert "output truncated by the grader" in flooded.read_text()
    pages = list((graded["out"] / "feedback" / f"attack-{attack}").rglob("*.html"))
    assert pages and all(page.stat().st_size < 12 << 20 for page in pages)
    if attack != "output-flood":  # that one may be stopped by its cell's time limit before it is dropped
        assert "dropped" in " ".join(json.loads(recorded(graded["out"], f"attack-{attack}", "findings")))
