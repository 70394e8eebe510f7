"""Opt-in trials of real AMI-cleanup tools against the stub (see docs/tools.md).

Each module skips itself unless its tool is importable; all carry the ``tools`` marker, so
``pytest -m "not tools"`` leaves them out even where the tools are installed. The tools are never
project dependencies: install them in a separate virtual environment (docs/tools.md, "Running
the trials").
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tools: drives a real third-party cleanup tool (skipped unless installed)")
