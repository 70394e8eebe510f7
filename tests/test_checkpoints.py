"""Ec2Stub.checkpoint() / restore() on each backend, and the copying fallback for any backend."""

from __future__ import annotations

import pytest

from botostub_ec2 import Checkpoint, CheckpointError, Ec2Stub, MemoryBackend
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.checkpoints import CopyCheckpoints


class PlainBackend:
    """A backend without SupportsCheckpoint (wraps MemoryBackend's transactions only)."""

    def __init__(self) -> None:
        self._inner = MemoryBackend()

    def transaction(self, *, write: bool = True):
        return self._inner.transaction(write=write)

    def close(self) -> None:
        self._inner.close()


@pytest.fixture(params=["memory", "sqlite", "plain"])
def stub(request, tmp_path):
    backend = {"memory": MemoryBackend, "plain": PlainBackend,
               "sqlite": lambda: SqliteBackend(tmp_path / "s.db")}[request.param]()
    stub = Ec2Stub(backend=backend)
    yield stub
    backend.close()


def state(stub):
    return stub.images(), stub.snapshots(), stub.instances()


def test_context_manager_undoes_the_block(stub):
    kept = stub.add_image("kept")
    before = state(stub)
    with pytest.raises(RuntimeError), stub.checkpoint() as checkpoint:
        assert isinstance(checkpoint, Checkpoint)
        stub.add_image("gone")
        stub.add_instance(kept.image_id)
        raise RuntimeError
    assert state(stub) == before
    with pytest.raises(CheckpointError, match="discarded"):
        checkpoint.restore()


def test_restore_a_baseline_again_and_again(stub):
    stub.add_image("seed")
    baseline = stub.checkpoint()
    before = state(stub)
    for i in range(3):
        stub.add_image(f"test-{i}")
        stub.restore(baseline)
        assert state(stub) == before
    later = stub.checkpoint()
    stub.restore(baseline)
    with pytest.raises(CheckpointError, match="no longer exists"):
        stub.restore(later)
    baseline.discard()
    baseline.discard()  # idempotent
    with pytest.raises(CheckpointError):
        stub.restore(baseline)


def test_checkpoint_of_another_backend_is_refused(stub):
    other = Ec2Stub()
    with pytest.raises(CheckpointError, match="another backend"):
        stub.restore(other.checkpoint())


def test_fallback_is_used_only_without_support(stub):
    checkpoint = stub.checkpoint()
    assert isinstance(checkpoint._owner, CopyCheckpoints) == isinstance(stub.backend, PlainBackend)
    assert "live" in repr(checkpoint)
