"""The gradebook on a real PostgreSQL server started on loopback by the test itself."""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import require_program
from grader_fixtures import ASSIGNMENT, make_course, write_class
from nbgrader.api import Gradebook

from d2lblocks_grade.records.gradebook import with_busy_timeout

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """postgresql://grader@127.0.0.1:PORT/grades on a throwaway cluster (Debian's postgresql package)."""
    bindir = Path(require_program("postgresql")).parent
    root = Path(tempfile.mkdtemp(prefix="d2lblocks-pg-"))
    prefix = []
    if os.getuid() == 0:  # initdb refuses root: run the server as the package's unprivileged user
        user = pwd.getpwnam("postgres")
        os.chmod(root, 0o755)
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust",
                             "-E", "UTF8"], check=True, capture_output=True)
    server = subprocess.Popen(prefix + [str(bindir / "postgres"), "-D", str(data), "-k", str(root), "-p", str(port),
                                        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import psycopg2
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = psycopg2.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)
    conn.autocommit = True
    conn.cursor().execute("CREATE DATABASE grades")
    conn.close()
    yield f"postgresql://grader@127.0.0.1:{port}/grades"
    server.terminate()
    server.wait(timeout=60)
    shutil.rmtree(root, ignore_errors=True)


def test_class_graded_into_postgresql_once_even_when_run_twice(tmp_path, postgres_url):
    """--db postgresql://... holds nbgrader's schema with one submission per student after two runs."""
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, {"alice": "correct", "bob": "partial", "carl": "empty"})
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(subs), "--out", str(out), "--course", str(course),
           "--db", postgres_url, "--quiet"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert not (out / "gradebook.db").exists()
    with Gradebook(with_busy_timeout(postgres_url)) as gb:
        subs_by_student = {s.student.id: s for s in gb.find_assignment(ASSIGNMENT).submissions}
        assert sorted(subs_by_student) == ["alice", "bob", "carl"]
        assert subs_by_student["alice"].score == 3.0 and subs_by_student["bob"].score == 2.0
        assert subs_by_student["carl"].score == 0.0
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 * 3 and "carl,ex1_test_net,0,2,invalid-notebook," in rows[7]
