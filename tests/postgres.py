"""PostgreSQL for the tests, without touching the machine's own server or its configuration.

`CASEBOOK_TEST_DATABASE_URL` (an admin URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres)
is used when given. Otherwise the test run makes its own cluster: Debian's `initdb` into a
temporary folder, `pg_ctl` on a free loopback port, trust authentication for that cluster only,
stopped and deleted at the end. PostgreSQL refuses to run as root, so under root the cluster
belongs to an unprivileged system user (`postgres` when the Debian package made one, else
`nobody`), started through `runuser`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

ENV = "CASEBOOK_TEST_DATABASE_URL"


def _bin_dir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        f"the PostgreSQL tests need initdb and pg_ctl (Debian: apt-get install postgresql), or {ENV}"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as(user: str | None, argv: list[str]) -> None:
    command = ["runuser", "-u", user, "--", *argv] if user else argv
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")


def _owner() -> str | None:
    """None when not root; else the unprivileged user the cluster runs as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root with neither a postgres nor a nobody user to own the test cluster")


@contextlib.contextmanager
def temporary_cluster() -> Iterator[str]:
    """A throwaway cluster; yields its admin URL."""
    bin_dir, owner, port = _bin_dir(), _owner(), _free_port()
    folder = Path(tempfile.mkdtemp(prefix="casebook-pg-"))
    data = folder / "data"
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(0o700)
    try:
        _run_as(owner, [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync", "--locale=C"])
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _run_as(owner, [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                        "-w", "-t", "60", "start"])
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run_as(owner, [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def admin_url() -> Iterator[str]:
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    with temporary_cluster() as url:
        yield url


@contextlib.contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    """A new, empty database on the admin URL's server; dropped afterwards."""
    name = f"casebook_test_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
