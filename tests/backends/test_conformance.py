"""The backend conformance suite, run over both built-in backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botostub_ec2.backends import MemoryBackend, SqliteBackend
from botostub_ec2.testing.conformance import BackendConformance


class TestMemoryBackend(BackendConformance):
    @pytest.fixture
    def backend(self) -> Iterator[MemoryBackend]:
        backend = MemoryBackend()
        yield backend
        backend.close()


class TestSqliteBackend(BackendConformance):
    @pytest.fixture
    def backend(self, tmp_path) -> Iterator[SqliteBackend]:
        backend = SqliteBackend(tmp_path / "state.db")
        yield backend
        assert backend.check_integrity() == []
        backend.close()


class TestReopenedSqliteBackend(BackendConformance):
    """Every test again, on a database that was closed and reopened after its schema was made."""

    @pytest.fixture
    def backend(self, tmp_path) -> Iterator[SqliteBackend]:
        SqliteBackend(tmp_path / "state.db").close()
        backend = SqliteBackend(tmp_path / "state.db")
        yield backend
        backend.close()
