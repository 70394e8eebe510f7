"""--botostub-sqlite / botostub_ec2_sqlite: one SQLite state shared by every ec2_stub."""

from __future__ import annotations

import pytest

from botostub_ec2.backends.sqlite import SqliteBackend

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

SHARING_TESTS = """
    import os
    from botostub_ec2.backends.sqlite import SqliteBackend

    def test_writes(ec2_stub):
        assert isinstance(ec2_stub.backend, SqliteBackend)
        ec2_stub.add_image("shared", image_id="ami-0000000000000aaaa")

    def test_sees_the_other_tests_write(ec2_stub, ec2_client):
        assert ec2_stub.image("ami-0000000000000aaaa").name == "shared"
        images = ec2_client.describe_images(ImageIds=["ami-0000000000000aaaa"])["Images"]
        assert images[0]["Name"] == "shared"
"""


def images_in(path) -> list[str]:
    backend = SqliteBackend(path)
    try:
        return sorted(image.image_id for image in _all_images(backend))
    finally:
        backend.close()


def _all_images(backend):
    from botostub_ec2 import ImageRecord

    with backend.transaction(write=False) as tx:
        return [image for region in tx.regions(ImageRecord)
                for image in tx.scan(ImageRecord, region)]


def test_command_line_option_shares_one_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SHARING_TESTS)
    result = pytester.runpytest("--botostub-sqlite=state/shared.db", "-p", "no:randomly")
    result.assert_outcomes(errors=2)  # the directory does not exist yet: a clear error
    result.stdout.fnmatch_lines(["*cannot open the state database*"])
    (pytester.path / "state").mkdir()
    result = pytester.runpytest("--botostub-sqlite=state/shared.db")
    result.assert_outcomes(passed=2)
    assert images_in(pytester.path / "state" / "shared.db") == ["ami-0000000000000aaaa"]


def test_ini_option_and_state_that_outlives_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # when this suite runs under xdist
    pytester.makeini("[pytest]\nbotostub_ec2_sqlite = state-{worker}.db\n")
    pytester.makepyfile(SHARING_TESTS)
    pytester.runpytest().assert_outcomes(passed=2)
    assert images_in(pytester.path / "state-main.db") == ["ami-0000000000000aaaa"]
    pytester.makepyfile(test_later="""
        def test_state_from_the_last_run(ec2_stub):
            assert ec2_stub.image("ami-0000000000000aaaa") is not None
    """)
    pytester.runpytest("test_later.py").assert_outcomes(passed=1)


def test_without_the_option_state_stays_isolated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from botostub_ec2 import MemoryBackend

        def test_memory(ec2_stub):
            assert isinstance(ec2_stub.backend, MemoryBackend)
    """)
    pytester.runpytest().assert_outcomes(passed=1)


def test_xdist_workers_share_the_state(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile("""
        import os, time
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_each_worker_writes(ec2_stub, n):
            ec2_stub.add_image(os.environ["PYTEST_XDIST_WORKER"], image_id=f"ami-{n:017x}")
    """)
    result = pytester.runpytest_subprocess("-n", "2", "--botostub-sqlite=shared.db")
    result.assert_outcomes(passed=8)
    backend = SqliteBackend(pytester.path / "shared.db")
    try:
        images = _all_images(backend)
    finally:
        backend.close()
    assert sorted(image.image_id for image in images) == [f"ami-{n:017x}" for n in range(8)]
    assert {image.name for image in images} == {"gw0", "gw1"}
