"""``mypy --strict`` passes on the package and on a typed example using types-boto3 clients.

Needs the ``typing`` extra (mypy, types-boto3[ec2]); skipped without it. Slow-ish (tens of
seconds on a cold mypy cache), hence one test.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
@pytest.mark.skipif(importlib.util.find_spec("types_boto3_ec2") is None,
                    reason="types-boto3[ec2] is not installed")
def test_mypy_strict_package_and_typed_example() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(ROOT / ".mypy_cache"),
         "botostub_ec2", "tests/ecosystem/typed_example.py"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_example_runs() -> None:
    from . import typed_example

    assert typed_example.main() == ["True"]
