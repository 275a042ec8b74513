"""The coordinator's own environment: the gradebook URL from where it is kept, then a fresh start without secrets."""
import json
import os
import subprocess
import sys

import pytest

from d2lblocks_grade.own_environment import database_url, secret_names


def test_the_url_comes_from_the_option_a_variable_or_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADEBOOK", "postgresql://grader:pw@db/grades")
    (tmp_path / "url").write_text("sqlite:////srv/gradebook.db\nignored\n")
    assert database_url("sqlite:///a.db", None, None) == "sqlite:///a.db"
    assert database_url(None, "GRADEBOOK", None) == "postgresql://grader:pw@db/grades"
    assert database_url(None, None, str(tmp_path / "url")) == "sqlite:////srv/gradebook.db"


def test_a_missing_variable_or_file_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="no such environment variable; export NOPE="):
        database_url(None, "NOPE", None)
    with pytest.raises(ValueError, match="should hold the gradebook URL on its first line"):
        database_url(None, None, str(tmp_path / "missing"))


def test_secret_looking_names_are_found_and_ordinary_ones_are_not():
    env = {"PATH": "/usr/bin", "DATABASE_URL": "x", "GITHUB_TOKEN": "x", "PGPASSWORD": "x", "LANG": "C"}
    assert sorted(secret_names(env)) == ["DATABASE_URL", "GITHUB_TOKEN", "PGPASSWORD"]
    assert "PGPASSWORD" not in secret_names(env, keep=("PGPASSWORD",))


def test_the_fresh_process_has_no_secret_even_in_proc_environ_and_still_gets_the_url():
    """/proc/self/environ shows a process's first environment: only a new process really forgets a secret."""
    probe = ("import json; from d2lblocks_grade.own_environment import database_url; "
             "print(json.dumps({'environ': open('/proc/self/environ', 'rb').read().decode(errors='replace'), "
             "'url': database_url(None, None, None)}))")
    script = ("from d2lblocks_grade.own_environment import restart_without_secrets; "
              f"restart_without_secrets([], 'sqlite:///grades.db', code={probe!r})")
    env = {**os.environ, "GITHUB_TOKEN": "ghp_canary", "DATABASE_URL": "postgresql://x:canary@db/g"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    seen = json.loads(run.stdout)
    assert "canary" not in seen["environ"] and "GITHUB_TOKEN" not in seen["environ"]
    assert seen["url"] == "sqlite:///grades.db"
