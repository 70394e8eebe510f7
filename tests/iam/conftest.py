"""Shared helpers of the IAM evaluator tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "oracle: differential test against @cloud-copilot/iam-simulate (needs node and the "
        "package; see tests/iam/oracle/README.md)",
    )
