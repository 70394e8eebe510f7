"""``os.fork()`` while another thread holds a transaction or a lock of the library (issue item 5).

``fork`` copies only the forking thread: a lock another thread held stays held in the child, by
a thread that does not exist there. The child used to block forever on its first transaction
(memory backend: even a read; SQLite: on its write gate), or on the first use of any other lock
held at that moment. Each test forks in the middle of such a section and checks that the child
reads, writes and exits within a timeout (a hung child is killed and fails the test instead of
hanging the suite), and that it does not see a transaction that was in flight half done.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from botostub_ec2 import Clock, Ec2Stub, ImageRecord, SnapshotRecord
from botostub_ec2.backends import BackendError, MemoryBackend
from botostub_ec2.backends.sqlite import SqliteBackend

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform has no os.fork()"),
    # Python 3.12+ warns that forking a multi-threaded process may deadlock the child: that is
    # what these tests check does not happen.
    pytest.mark.filterwarnings("ignore:.*multi-threaded.*:DeprecationWarning"),
]

TIMEOUT = 60.0  # generous: a healthy child takes well under a second


def _fork(child: Callable[[], None]) -> int:
    """Run ``child()`` in a forked child; its exit status (0: it returned)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's outcome is its exit status
        code = 1
        try:
            signal.alarm(int(TIMEOUT) + 5)  # belt and braces: never outlive the test
            child()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return _wait(pid)


def _wait(pid: int) -> int:
    deadline = time.monotonic() + TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child hung for {TIMEOUT:g} s (killed)")
        time.sleep(0.01)


class _Holder:
    """A thread that enters ``context`` (and runs ``inside``), then waits to be released."""

    def __init__(self, context: Callable[[], Any], inside: Callable[[Any], None] = lambda _: None,
                 ) -> None:
        self.held = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

        def run() -> None:
            try:
                with context() as entered:
                    inside(entered)
                    self.held.set()
                    self.release.wait(TIMEOUT)
            except BaseException as exc:
                self.error = exc
                self.held.set()

        self.thread = threading.Thread(target=run, daemon=True)

    def __enter__(self) -> _Holder:
        self.thread.start()
        assert self.held.wait(TIMEOUT)
        assert self.error is None, self.error
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


# -- a transaction in flight in another thread --------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def stub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ec2Stub]:
    backend = MemoryBackend() if request.param == "memory" else SqliteBackend(
        tmp_path / "state.db", timeout=TIMEOUT)
    made = Ec2Stub(backend=backend)
    yield made
    backend.close()


def test_a_transaction_in_flight_in_another_thread(stub: Ec2Stub) -> None:
    """The child reads the state as of the last commit (the in-flight transaction is not half
    visible), then writes, through the stub and through boto3; the parent keeps its own.

    SQLite: the lock state SQLite keeps in the process says the parent's connection holds the
    write lock, forever (even a new ``sqlite3.connect`` in the child gets "database is locked"):
    the child reads, and its writes are refused at once with a clear error."""
    kept = stub.add_image("kept", image_id="ami-0aaaaaaaaaaaaaaaa")
    target = stub.add_image("target", image_id="ami-0bbbbbbbbbbbbbbbb")
    client = boto3.client("ec2", region_name="us-east-1")
    sqlite = isinstance(stub.backend, SqliteBackend)
    read_done, go_on = os.pipe(), os.pipe()

    def in_flight(tx: Any) -> None:
        tx.put(kept._replace(description="in flight"))
        tx.put(SnapshotRecord("snap-0cccccccccccccccc", "us-east-1", stub.account_id))

    def child() -> None:
        os.close(read_done[0])
        os.close(go_on[1])
        image = stub.image(kept.image_id)
        assert image is not None and image.description is None, image
        assert stub.snapshot("snap-0cccccccccccccccc") is None
        assert [i.name for i in stub.images()] == ["kept", "target"]
        os.write(read_done[1], b"r")
        assert os.read(go_on[0], 1) == b"g"  # the parent's writer has committed
        if sqlite:
            started = time.monotonic()
            with pytest.raises(BackendError, match="forked while a thread of its parent was "
                                                   "writing"):
                stub.add_image("child-image")
            with stub, pytest.raises(BackendError, match="can read the state but not write"):
                client.deregister_image(ImageId=target.image_id)
            assert time.monotonic() - started < 5  # refused at once, not after a timeout
            assert stub.image(kept.image_id).description == "in flight"  # reads go on
            return
        stub.add_image("child-image")
        with stub:
            (described,) = client.describe_images(ImageIds=[kept.image_id])["Images"]
            client.deregister_image(ImageId=target.image_id)
        assert "Description" not in described
        assert stub.image(target.image_id).state == "deregistered"

    with _Holder(lambda: stub.backend.transaction(), in_flight) as holder:
        pid = _fork_pending(child)
        os.close(read_done[1])
        os.close(go_on[0])
        assert os.read(read_done[0], 1) == b"r"  # the child read while the writer is in flight
    assert holder.error is None  # the writer committed in the parent
    os.write(go_on[1], b"g")
    assert _wait(pid) == 0
    assert stub.image(kept.image_id).description == "in flight"  # committed in the parent
    assert stub.snapshot("snap-0cccccccccccccccc") is not None
    assert stub.image(target.image_id).state == "available"  # the child's writes are its own
    assert "child-image" not in [i.name for i in stub.images()]
    stub.add_image("parent-image")  # the parent writes on


def _fork_pending(child: Callable[[], None]) -> int:
    """Fork now; the caller waits for the child later (with :func:`_wait`)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        code = 1
        try:
            signal.alarm(int(TIMEOUT) + 5)
            child()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def test_a_read_transaction_in_flight_in_another_thread(stub: Ec2Stub) -> None:
    image = stub.add_image("web-1")

    def child() -> None:
        assert stub.image(image.image_id) == image
        stub.add_image("web-2")
        assert len(stub.images()) == 2

    with _Holder(lambda: stub.backend.transaction(write=False)):
        assert _fork(child) == 0


def test_nested_transactions_in_flight_are_undone_together() -> None:
    """A committed inner transaction is part of its outer one: the child undoes both."""
    stub = Ec2Stub()
    image = stub.add_image("web-1")
    backend = stub.backend

    other = stub.add_image("web-2")

    def nested(tx: Any) -> None:
        with backend.transaction() as inner:
            inner.put(other._replace(description="inner"))
        tx.put(image._replace(name="outer"))

    def child() -> None:
        assert stub.image(image.image_id) == image
        assert stub.image(other.image_id) == other

    with _Holder(lambda: backend.transaction(), nested):
        assert _fork(child) == 0
    assert stub.image(image.image_id) == image._replace(name="outer")
    assert stub.image(other.image_id) == other._replace(description="inner")


def test_memory_rollback_of_a_failed_outer_transaction_undoes_its_inner_ones() -> None:
    """(The same merge makes an outer rollback undo the inner transactions it committed, as
    SQLite's savepoints do.)"""
    backend = MemoryBackend()
    record = ImageRecord("ami-0123456789abcdef0", "us-east-1", "123456789012", "web-1")
    with pytest.raises(RuntimeError), backend.transaction() as tx:
        with backend.transaction() as inner:
            inner.put(record)
        tx.put(record._replace(name="web-2"))
        raise RuntimeError("outer fails")
    with backend.transaction(write=False) as tx:
        assert tx.get(ImageRecord, "us-east-1", record.image_id) is None


def test_the_forking_threads_own_memory_transaction_goes_on_in_the_child() -> None:
    stub = Ec2Stub()
    image = stub.add_image("web-1")
    with stub.backend.transaction() as tx:
        tx.put(image._replace(description="mine"))

        def child() -> None:
            tx.put(image._replace(description="child"))  # same thread: its lock is still held

        assert _fork(child) == 0
    assert stub.image(image.image_id).description == "mine"


def test_the_forking_threads_own_sqlite_transaction_is_refused_in_the_child(
    tmp_path: Path,
) -> None:
    """The child may not commit (nor roll back) a transaction of the parent's connection; it
    reads through a connection of its own."""
    backend = SqliteBackend(tmp_path / "state.db", timeout=5)
    stub = Ec2Stub(backend=backend)
    image = stub.add_image("web-1")
    with backend.transaction() as tx:
        tx.put(image._replace(description="parent"))

        def child() -> None:
            with pytest.raises(BackendError, match=r"opened before os\.fork"):
                tx.__exit__(None, None, None)
            assert stub.image(image.image_id) == image  # the parent has not committed yet
            with pytest.raises(BackendError, match="can read the state but not write"):
                stub.add_image("web-2")

        assert _fork(child) == 0
    assert stub.image(image.image_id).description == "parent"
    backend.close()


# -- every other lock of the library ------------------------------------------------------------


def _stub_lock(stub: Ec2Stub) -> Any:
    return stub._lock


def _module_lock(module: str, name: str = "_lock") -> Callable[[Ec2Stub], Any]:
    def get(_: Ec2Stub) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)

    return get


def _activate(stub: Ec2Stub) -> None:
    with stub:
        boto3.client("ec2", region_name="us-east-1").describe_images(Owners=["self"])


LOCKS: list[tuple[str, Callable[[Ec2Stub], Any], Callable[[Ec2Stub], None]]] = [
    ("hooks._lock", _module_lock("botostub_ec2.hooks"), _activate),
    ("patches._lock", _module_lock("botostub_ec2.patches"), _activate),
    ("model_cache._lock", _module_lock("botostub_ec2.model_cache"), _activate),
    ("operations._lock", _module_lock("botostub_ec2.operations"),
     lambda stub: (setattr(sys.modules["botostub_ec2.operations"], "_loaded", False),
                   sys.modules["botostub_ec2.operations"].load_all())),
    ("handler_table._models_lock", _module_lock("botostub_ec2.handler_table", "_models_lock"),
     lambda stub: stub.add_handler("ssm", "GetParameter", lambda call: {"Parameter": {}})),
    ("FaultList._lock", lambda stub: stub._faults._lock,
     lambda stub: (stub.inject("DescribeImages", "InternalError"), stub.faults)),
    ("Clock._lock", lambda stub: stub.clock._lock, lambda stub: stub.clock.advance(days=1)),
    ("Ec2Stub._lock", _stub_lock, _activate),
]


@pytest.mark.parametrize(("label", "lock_of", "use"), LOCKS, ids=[row[0] for row in LOCKS])
def test_a_lock_held_by_another_thread(label: str, lock_of: Callable[[Ec2Stub], Any],
                                       use: Callable[[Ec2Stub], None]) -> None:
    stub = Ec2Stub(clock=Clock())
    stub.add_image("web-1")
    _activate(stub)  # everything loaded and bound once

    def child() -> None:
        use(stub)
        stub.add_image("web-2")

    with _Holder(lambda: lock_of(stub)):
        assert _fork(child) == 0


def test_resource_ids_differ_between_parent_and_child() -> None:
    from botostub_ec2.ids import new_resource_id

    read, write = os.pipe()

    def child() -> None:
        os.write(write, new_resource_id("ami").encode())

    assert _fork(child) == 0
    os.close(write)
    with os.fdopen(read) as pipe:
        assert pipe.read() != new_resource_id("ami")
