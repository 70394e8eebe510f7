"""State files SQLite cannot write: what the error says, and the read-only open (issue item 13).

A valid state file in a read-only directory used to be reported as "not a botostub_ec2 state
database", inviting the user to delete a good file. The error now says what SQLite said
(read-only, locked, permission denied, disk I/O) and ``SqliteBackend(path, read_only=True)`` reads
such a file.

chmod does not restrict root, and the suite may run as root: then each scenario runs in a forked
child that drops to the ``nobody`` user (uid 65534) first, for which the modes apply (the child
can only use modules imported before it dropped its privileges). Some paths are also simulated
without any privileges (``PRAGMA query_only``, a lock held by another connection).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from botostub_ec2 import Ec2Stub, ImageRecord
from botostub_ec2.backends import (
    BackendBusyError,
    BackendError,
    BackendSchemaError,
    ReadOnlyStateError,
)
from botostub_ec2.backends import sqlite as sqlite_module
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.checkpoints import Checkpoint

NOBODY = 65534
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_posix = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32",
                                 reason="needs POSIX file modes and fork")


def _unprivileged(scenario: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``scenario(*args)`` as a user file modes apply to: here, or (as root) in a child that
    became ``nobody``. The scenario returns plain data (it runs in another process as root)."""
    if not ROOT:
        return scenario(*args)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result: dict[str, Any] = scenario(*args)
        except BaseException as exc:
            result = {"child failed": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write, "wb") as pipe:
            pipe.write(pickle.dumps(result))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            pytest.fail("the unprivileged child hung")
        time.sleep(0.01)
    result = pickle.loads(data)
    assert "child failed" not in result, result
    return result  # type: ignore[no-any-return]


def _outcome(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        value = call()
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc),
                "botostub": isinstance(exc, BackendError),
                "read_only": isinstance(exc, ReadOnlyStateError),
                "schema": isinstance(exc, BackendSchemaError)}
    return {"raised": None, "value": value}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def folder() -> Iterator[Path]:
    """A directory the unprivileged user can reach, holding a valid state file with one image
    (written by this process, cleanly closed: no -wal or -shm file left)."""
    path = Path(tempfile.mkdtemp(prefix="botostub-files-"))
    path.chmod(0o755)
    backend = SqliteBackend(path / "state.db")
    Ec2Stub(backend=backend).add_image("web-1", image_id="ami-0123456789abcdef0")
    backend.close()
    assert sorted(p.name for p in path.iterdir()) == ["state.db"]
    (path / "state.db").chmod(0o644)
    yield path
    path.chmod(0o755)
    for child in path.iterdir():
        child.chmod(0o644)
    shutil.rmtree(path, ignore_errors=True)


def _image_names(backend: SqliteBackend) -> list[str]:
    with backend.transaction(write=False) as tx:
        return [image.name for image in tx.scan(ImageRecord, "us-east-1")]


# -- scenarios (run unprivileged) -----------------------------------------------------------------


def _open_writable(path: str) -> dict[str, Any]:
    result = _outcome(lambda: SqliteBackend(path, timeout=1).close())
    result["left"] = sorted(os.listdir(os.path.dirname(path)))
    return result


def _open_read_only(path: str) -> dict[str, Any]:
    backend = SqliteBackend(path, read_only=True)
    try:
        stub = Ec2Stub(backend=backend)
        names = _image_names(backend)
        found = stub.image("ami-0123456789abcdef0")

        def write() -> None:
            with backend.transaction() as tx:
                tx.delete(ImageRecord, "us-east-1", "ami-0123456789abcdef0")

        return {"names": names, "found": found is not None and found.name,
                "images": [i.name for i in stub.images()],
                "write": _outcome(write),
                "seed": _outcome(lambda: stub.add_image("web-2")),
                "checkpoint": _outcome(stub.checkpoint),
                "read_only": backend.read_only}
    finally:
        backend.close()


# -- the bug: a read-only directory was "not a botostub_ec2 state database" ------------------------


@needs_posix
def test_a_read_only_directory_is_reported_as_such(folder: Path) -> None:
    state = folder / "state.db"
    before = _digest(state)
    folder.chmod(0o555)
    result = _unprivileged(_open_writable, str(state))
    assert result["raised"] == "ReadOnlyStateError", result
    message = result["message"]
    assert "not a botostub_ec2 state database" not in message
    assert "read-only" in message and "SQLite says: attempt to write a readonly database" in (
        message)
    assert "read_only=True" in message
    assert result["left"] == ["state.db"]
    folder.chmod(0o755)
    assert _digest(state) == before  # nothing was written; the file still opens
    backend = SqliteBackend(state)
    assert _image_names(backend) == ["web-1"]
    backend.close()


@needs_posix
def test_a_file_of_another_user_in_a_writable_directory(folder: Path) -> None:
    state = folder / "state.db"
    if ROOT:
        folder.chmod(0o777)  # nobody may create state.db-wal, but not write state.db (root's)
    else:
        state.chmod(0o444)
    result = _unprivileged(_open_writable, str(state))
    assert result["raised"] == "ReadOnlyStateError", result
    assert "read_only=True" in result["message"]
    assert "not a botostub_ec2 state database" not in result["message"]


@needs_posix
def test_an_unreadable_file_says_permission_denied(folder: Path) -> None:
    state = folder / "state.db"
    state.chmod(0o000)
    result = _unprivileged(_open_writable, str(state))
    assert result["raised"] == "BackendError", result
    assert "permission denied" in result["message"]
    assert "SQLite says: unable to open database file" in result["message"]
    assert not result["schema"]


@needs_posix
def test_read_only_open_of_a_read_only_directory(folder: Path) -> None:
    folder.chmod(0o555)
    result = _unprivileged(_open_read_only, str(folder / "state.db"))
    assert result["names"] == ["web-1"] and result["images"] == ["web-1"]
    assert result["found"] == "web-1" and result["read_only"] is True
    for refused in ("write", "seed", "checkpoint"):
        assert result[refused]["raised"] == "ReadOnlyStateError", result
        assert "read_only=True" in result[refused]["message"]


def _names_read_only(path: str) -> dict[str, Any]:
    def names() -> list[str]:
        backend = SqliteBackend(path, read_only=True)
        try:
            return _image_names(backend)
        finally:
            backend.close()

    return _outcome(names)


@needs_posix
@pytest.mark.parametrize("shm_left", [True, False])
def test_read_only_reads_a_crashed_writers_wal_or_says_it_cannot(folder: Path,
                                                                  shm_left: bool) -> None:
    """Immutable reading ignores a -wal file: it is only used when no -wal file holds changes."""
    state = folder / "state.db"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a writer killed after its commit, before any checkpoint
        Ec2Stub(backend=SqliteBackend(state)).add_image("web-2")
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert (folder / "state.db-wal").stat().st_size > 0
    if not shm_left:
        (folder / "state.db-shm").unlink()
    folder.chmod(0o555)
    result = _unprivileged(_names_read_only, str(state))
    if shm_left:
        assert result == {"raised": None, "value": ["web-1", "web-2"]}
    else:
        assert result["raised"] == "BackendError", result
        assert "cannot open the state database" in result["message"]
        assert "-wal file holds changes" in result["message"]


# -- simulations that need no privileges ---------------------------------------------------------


class _QueryOnly(SqliteBackend):
    """SQLite refuses every write of this backend's connections, as for a read-only file."""

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute("PRAGMA query_only=ON")
        return conn


def test_sqlite_refusing_writes_at_open_is_not_a_schema_error(folder: Path) -> None:
    with pytest.raises(ReadOnlyStateError) as raised:
        _QueryOnly(folder / "state.db")
    message = str(raised.value)
    assert "SQLite says: attempt to write a readonly database" in message
    assert "read_only=True" in message and "not a botostub_ec2" not in message
    assert not isinstance(raised.value, BackendSchemaError)


def test_a_lock_held_by_another_connection_is_busy_not_foreign(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    other = sqlite3.connect(path, isolation_level=None)  # a rollback-journal file, locked
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(BackendBusyError) as raised:
            SqliteBackend(path, timeout=0.2)
        assert "locked" in str(raised.value) and "not a botostub_ec2" not in str(raised.value)
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize(("error", "kind", "says"), [
    (sqlite3.OperationalError("disk I/O error"), BackendError, "disk I/O error"),
    (sqlite3.OperationalError("attempt to write a readonly database"), ReadOnlyStateError,
     "read_only=True"),
    (sqlite3.OperationalError("database is locked"), BackendBusyError, "locked"),
    (sqlite3.OperationalError("unable to open database file"), BackendError,
     "cannot open the state database"),
    (sqlite3.DatabaseError("file is not a database"), BackendSchemaError,
     "not a botostub_ec2 state database"),
    (sqlite3.DatabaseError("database disk image is malformed"), BackendSchemaError,
     "damaged"),
])
def test_each_sqlite_error_at_open_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            error: sqlite3.Error, kind: type[Exception],
                                            says: str) -> None:
    def fail(conn: Any, path: str) -> None:
        raise error

    monkeypatch.setattr(sqlite_module, "_check_schema", fail)
    with pytest.raises(kind) as raised:
        SqliteBackend(tmp_path / "state.db", timeout=0.1)
    assert says in str(raised.value)
    assert f"SQLite says: {error}" in str(raised.value)
    if kind is not BackendSchemaError:
        assert not isinstance(raised.value, BackendSchemaError)


# -- read_only=True on an ordinary file -----------------------------------------------------------


def test_read_only_reads_and_refuses_writes(folder: Path) -> None:
    state = folder / "state.db"
    before = _digest(state)
    result = _open_read_only(str(state))
    assert result["names"] == ["web-1"] and result["found"] == "web-1"
    for refused in ("write", "seed", "checkpoint"):
        assert result[refused]["raised"] == "ReadOnlyStateError", result
        assert result[refused]["botostub"]
    assert _digest(state) == before


def test_read_only_sees_what_a_writer_commits_later(folder: Path) -> None:
    state = folder / "state.db"
    reader = SqliteBackend(state, read_only=True)
    writer = SqliteBackend(state)
    try:
        assert _image_names(reader) == ["web-1"]
        Ec2Stub(backend=writer).add_image("web-2")
        assert _image_names(reader) == ["web-1", "web-2"]
    finally:
        reader.close()
        writer.close()


def test_read_only_refuses_restore_and_clear(folder: Path) -> None:
    state = folder / "state.db"
    writer = SqliteBackend(state)
    token = Ec2Stub(backend=writer).checkpoint().token
    reader = SqliteBackend(state, read_only=True)
    try:
        with pytest.raises(ReadOnlyStateError, match="read_only=True"):
            reader.restore_state(token)
        with pytest.raises(ReadOnlyStateError):
            reader.clear()
        with pytest.raises(ReadOnlyStateError):
            Checkpoint(reader, token, reader).restore()
    finally:
        reader.close()
        writer.close()


def test_read_only_needs_an_existing_state_file(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="does not exist") as raised:
        SqliteBackend(tmp_path / "missing.db", read_only=True)
    assert not isinstance(raised.value, BackendSchemaError)
    assert not (tmp_path / "missing.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(BackendSchemaError, match="empty"):
        SqliteBackend(empty, read_only=True)


def test_read_only_does_not_migrate(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", sqlite_module.SCHEMA_VERSION + 1)
    monkeypatch.setitem(sqlite_module.MIGRATIONS, sqlite_module.SCHEMA_VERSION - 1,
                        lambda conn: None)
    with pytest.raises(BackendSchemaError, match="open it without read_only"):
        SqliteBackend(folder / "state.db", read_only=True)


def test_read_only_pickles_as_read_only(folder: Path) -> None:
    backend = SqliteBackend(folder / "state.db", read_only=True)
    copy = pickle.loads(pickle.dumps(backend))
    try:
        assert copy.read_only is True and _image_names(copy) == ["web-1"]
    finally:
        copy.close()
        backend.close()


def test_the_state_file_mode_is_untouched(folder: Path) -> None:
    state = folder / "state.db"
    mode = stat.S_IMODE(state.stat().st_mode)
    SqliteBackend(state, read_only=True).close()
    assert stat.S_IMODE(state.stat().st_mode) == mode


def test_the_api_page_shows_every_argument() -> None:
    import inspect

    page = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    line = page[page.index("`SqliteBackend(path, *"):].split("`")[1]
    arguments = [name for name in inspect.signature(SqliteBackend.__init__).parameters
                 if name not in ("self", "path")]
    assert [name for name in arguments if f"{name}=" not in " ".join(line.split())] == []
