"""The coordinator's own environment: the gradebook's URL from where the instructor keeps it, then no secrets.

``--db URL`` puts a password on the command line, where ``ps`` shows it, so the
URL can also come from an environment variable (``--db-env NAME``) or a file
(``--db-file PATH``). Before it starts anything, the coordinator then runs
itself again with the secret-looking variables removed: ``/proc/<pid>/environ``
keeps a process's *initial* environment whatever ``os.environ`` says later, so
only a fresh process really forgets them. The URL crosses over through a pipe.

Example::

    $ DB='postgresql://grader:pw@db/grades' d2lblocks-grade autograde subs/ --db-env DB
"""
from __future__ import annotations

import os
import sys

from d2lblocks_grade.kernel.process_limits import SECRET_NAME

SCRUBBED = "D2LBLOCKS_GRADE_SCRUBBED"  # set in the fresh process: do not run again
URL_FD = "D2LBLOCKS_GRADE_DB_FD"  # the pipe the gradebook URL arrives on
NO_VARIABLE = "--db-env {name}: no such environment variable; export {name}=postgresql://... first"
NO_FILE = "--db-file {path}: {error}; the file should hold the gradebook URL on its first line"
# libpq reads these itself when it connects: a PostgreSQL gradebook still needs them.
KEPT_FOR_THE_DATABASE = ("PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE", "PGSSLKEY", "PGSSLCERT", "PGSSLROOTCERT")


def database_url(url: str | None, env_name: str | None, file: str | None) -> str | None:
    """The gradebook URL from ``--db``, ``--db-env`` or ``--db-file`` (or the pipe, after the fresh start)."""
    if os.environ.get(URL_FD):
        with os.fdopen(int(os.environ.pop(URL_FD)), "r") as pipe:
            return pipe.read() or None
    if env_name:
        if env_name not in os.environ:
            raise ValueError(NO_VARIABLE.format(name=env_name))
        return os.environ[env_name].strip()
    if file:
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.readline().strip()
        except OSError as error:
            raise ValueError(NO_FILE.format(path=file, error=error.strerror)) from None
    return url


def secret_names(environ=os.environ, keep=()) -> list[str]:
    """The variables that look like credentials (passwords, tokens, database URLs)."""
    return [name for name in environ if SECRET_NAME.search(name) and name not in keep and name != URL_FD]


# -c rather than -m: `python -m` would import a same-named folder from the working directory.
COMMAND_LINE = "import sys; del sys.path[0]; from d2lblocks_grade.cli import main; sys.exit(main())"


def restart_without_secrets(argv: list[str], db_url: str | None, code: str = COMMAND_LINE) -> None:
    """Run this command again in a fresh process whose environment holds no secret (does not return),
    unless there is nothing to remove or this already is that process."""
    keep = KEPT_FOR_THE_DATABASE if db_url and db_url.startswith("postgres") else ()
    names = secret_names(keep=keep)
    if os.environ.get(SCRUBBED) or not names:
        return
    env = {name: value for name, value in os.environ.items() if name not in names}
    env[SCRUBBED] = "1"
    if db_url is not None:
        read, write = os.pipe()
        os.write(write, db_url.encode())  # a URL fits in the pipe's buffer
        os.close(write)
        os.set_inheritable(read, True)
        env[URL_FD] = str(read)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-c", code, *argv], env)
