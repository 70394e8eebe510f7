"""Every python snippet of docs/ecosystem.md runs as is (skipped when its peer is missing)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from botostub_ec2 import hooks

DOC = Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
REQUIRES = re.compile(r"^# requires: (.+)$", re.M)


def snippets() -> list[tuple[int, str]]:
    text = DOC.read_text()
    return [(text[:m.start()].count("\n") + 1, m.group(1)) for m in BLOCK.finditer(text)]


@pytest.mark.parametrize(("line", "code"), snippets(), ids=lambda v: f"line{v}"
                         if isinstance(v, int) else "")
def test_snippet_runs(line: int, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for requirement in REQUIRES.findall(code):
        for module in requirement.split():
            if importlib.util.find_spec(module) is None:
                pytest.skip(f"{module} is not installed")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    exec(compile(code, f"{DOC}:{line}", "exec"), {"__name__": f"ecosystem_doc_{line}"})
    assert hooks.process_stack() == ()  # each snippet leaves nothing active


def test_the_page_has_snippets() -> None:
    assert len(snippets()) >= 8
