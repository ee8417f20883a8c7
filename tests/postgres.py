"""A throwaway PostgreSQL server for the store tests (import the fixtures into a test module).

`postgres_server_url` (session scope) yields a URL to an empty database:
- `KEYSMITH_TEST_DATABASE_URL` set: that server is used as it is (nothing started, nothing stopped);
- else PostgreSQL's own binaries (`KEYSMITH_PG_BIN`, else the newest /usr/lib/postgresql/<version>/bin,
  else `initdb` on PATH) start a private cluster: a data folder under /tmp, trust auth, listening only on
  127.0.0.1 at a free port, fsync off. As root, PostgreSQL refuses to run, so the binaries run as the
  `postgres` user (`runuser`), which owns the folder. The cluster is stopped and its folder removed after.
- no PostgreSQL: the tests skip with a message saying what to install — unless KEYSMITH_REQUIRE_POSTGRES=1
  (set by .ci/run), where they fail instead.

`postgres_url` (function scope) gives each test its own schema (via `search_path` in the URL's `options`),
dropped afterwards, so tests never see each other's rows and an existing database is never emptied.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from processes import free_port
from sqlalchemy.engine import make_url

INSTALL_HINT = (
    "PostgreSQL is not installed: `apt-get install postgresql` (Debian) to run the PostgreSQL tests"
)


def _missing(reason: str) -> None:
    """Skip, or fail where PostgreSQL is required (CI)."""
    if os.environ.get("KEYSMITH_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (KEYSMITH_REQUIRE_POSTGRES=1, so this is a failure, not a skip)")
    pytest.skip(reason)


def find_pg_bin() -> Path | None:
    """`KEYSMITH_PG_BIN` if set, else the newest Debian PostgreSQL bin folder, else `initdb`'s on PATH."""
    override = os.environ.get("KEYSMITH_PG_BIN", "").strip()
    if override:
        return Path(override) if (Path(override) / "initdb").is_file() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class Cluster:
    """A private PostgreSQL cluster in `root` (see the module doc)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="keysmith-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            pytest.fail(f"PostgreSQL {what} failed ({result.returncode}): {result.stderr.strip()}\n{log}")

    def start(self) -> str:
        """initdb + pg_ctl start; returns the URL of a fresh `keysmith_test` database."""
        init = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"
        )
        self._check(init, "initdb")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off"
        self._check(
            self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start"),
            "start",
        )
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute("CREATE DATABASE keysmith_test")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/keysmith_test"

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL database URL for the whole test session (see the module doc)."""
    existing = os.environ.get("KEYSMITH_TEST_DATABASE_URL", "").strip()
    if existing:
        yield existing
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        _missing(INSTALL_HINT)
        return
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _missing("running as root needs the `postgres` user (created by `apt-get install postgresql`)")
            return
    cluster = Cluster(bin_dir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string for psycopg."""
    parsed = make_url(url)
    parts = {"host": parsed.host, "port": parsed.port, "user": parsed.username, "dbname": parsed.database}
    if parsed.password:
        parts["password"] = parsed.password
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh schema of their own (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(postgres_server_url), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    base = make_url(postgres_server_url).set(drivername="postgresql+psycopg")
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(_libpq(postgres_server_url), autocommit=True) as conn,
        ):
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
