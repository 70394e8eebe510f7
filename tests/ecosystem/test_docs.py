"""The documentation is executable and self-contained.

* Every ```python block of README.md and docs/**/*.md runs as written (parametrised by file and
  line), in a fresh namespace and a scratch working directory, and leaves no stub active. A block
  whose optional peer is missing skips itself with a ``# requires: module ...`` line.
* A block preceded (on the line right before its fence) by ``<!-- run-as: pytest -->`` is a test
  file: it runs through ``pytester`` with this package's pytest plugin, so it gets the plugin's
  fixtures (``ec2_stub``, ``ec2_client``...) and its tests must pass.
* A block preceded by ``<!-- not-run: reason -->`` is not run; it is reported as skipped with its
  reason, and such marks are kept rare.

This module lives in tests/ecosystem/ so that CI's second environment (aiobotocore/aioboto3, which
runs only tests/ecosystem) executes the async snippets too.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import botostub_ec2

ROOT = Path(__file__).resolve().parents[2]


def active_stub() -> object | None:
    """The stub a call made now would reach process-wide (None: nothing active).

    The one place to adapt if the library's activation internals change."""
    return botostub_ec2.stub_for()


def stop_leftover_stubs() -> None:
    """Stop stubs a failing snippet left active, so one broken snippet does not leak into others."""
    for _ in range(20):
        stub = active_stub()
        if stub is None:
            return
        stub.stop()  # type: ignore[attr-defined]


# -- finding the snippets --------------------------------------------------------------------------

FENCE = re.compile(r"^(```+|~~~+)\s*([^`\s]*)")
MARK = re.compile(r"^<!--\s*(not-run|run-as):\s*(.*?)\s*-->\s*$")
REQUIRES = re.compile(r"^# requires: (.+)$", re.M)
MAX_NOT_RUN = 3


def doc_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    mark: str = ""  # "", "not-run" or "run-as"
    mark_value: str = ""

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with the mark on the line right before its fence."""
    lines = page.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, language = opening.groups()
        end = index + 1
        while end < len(lines) and not lines[end].startswith(fence[:3]):
            end += 1
        mark = MARK.match(lines[index - 1]) if index > 0 else None
        found.append(Block(page, index + 1, language, "\n".join(lines[index + 1:end]) + "\n",
                           *(mark.groups() if mark else ())))
        index = end + 1
    return found


def python_blocks() -> list[Block]:
    return [block for page in doc_pages() for block in blocks(page) if block.language == "python"]


def _skip_missing_requirements(code: str) -> None:
    for requirement in REQUIRES.findall(code):
        for module in requirement.split():
            if importlib.util.find_spec(module) is None:
                pytest.skip(f"{module} is not installed")


def _compiled(block: Block) -> object:
    # Leading newlines make tracebacks name the line of the page itself.
    return compile("\n" * block.line + block.code, str(block.page), "exec")


# -- running them ----------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [pytest.param(b, id=b.where) for b in python_blocks()])
def test_snippet(block: Block, request: pytest.FixtureRequest) -> None:
    if block.mark == "not-run":
        assert block.mark_value, f"{block.where}: a not-run mark needs a reason"
        pytest.skip(f"not-run ({block.where}): {block.mark_value}")
    _skip_missing_requirements(block.code)
    try:
        if block.mark == "run-as":
            _run_as_test_file(block, request.getfixturevalue("pytester"))
        else:
            _run(block, request.getfixturevalue("tmp_path"),
                 request.getfixturevalue("monkeypatch"))
        assert active_stub() is None, "the snippet left a stub active"
    finally:
        stop_leftover_stubs()


def _run(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.chdir(tmp_path)  # files a snippet writes (state.db, policies...) land here
    exec(_compiled(block), {"__name__": f"doc_snippet_{block.line}"})


def _run_as_test_file(block: Block, pytester: pytest.Pytester) -> None:
    """The block is a test module: run it with the plugin's fixtures; its tests must pass."""
    assert block.mark_value == "pytest", f"{block.where}: unknown run-as {block.mark_value!r}"
    compile(block.code, block.where, "exec")  # a syntax error names the page, not a temp file
    pytester.makepyfile(**{f"test_{block.page.stem.lower()}_{block.line}": block.code})
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    assert result.ret == 0, "\n".join(result.outlines)
    assert outcomes.get("passed", 0) >= 1 and not outcomes.get("skipped"), outcomes


def test_marks_are_rare_and_well_placed() -> None:
    not_run = [block.where for block in python_blocks() if block.mark == "not-run"]
    assert len(not_run) <= MAX_NOT_RUN, f"make these runnable rather than marking them: {not_run}"
    marked = {(block.page, block.line - 1) for page in doc_pages() for block in blocks(page)
              if block.mark and block.language == "python"}
    stray = [f"{page.relative_to(ROOT)}:{number}" for page in doc_pages()
             for number, line in enumerate(page.read_text().splitlines(), 1)
             if MARK.match(line) and (page, number) not in marked]
    assert not stray, f"run-as/not-run marks not right before a ```python fence: {stray}"


def test_every_fence_names_its_language() -> None:
    """An untagged fence could hide Python from the test: every block says what it is."""
    untagged = [block.where for page in doc_pages() for block in blocks(page) if not block.language]
    assert not untagged


def test_the_pages_have_snippets() -> None:
    pages = {block.page.relative_to(ROOT).as_posix() for block in python_blocks()}
    assert {"README.md", "docs/ecosystem.md", "docs/iam_usage.md"} <= pages
    assert len(python_blocks()) >= 15


def test_block_parser_reads_languages_lines_and_marks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n<!-- not-run: shows a signature only -->\n```python\ndef f(x): ...\n"
                    "```\n\n<!-- run-as: pytest -->\n```python\ndef test_x():\n    pass\n```\n"
                    "```bash\nls\n```\n")
    found = blocks(page)
    assert [(b.line, b.language, b.mark, b.mark_value) for b in found] == [
        (3, "python", "not-run", "shows a signature only"),
        (8, "python", "run-as", "pytest"),
        (12, "bash", "", ""),
    ]
    assert found[1].code == "def test_x():\n    pass\n"
