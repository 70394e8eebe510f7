"""The documentation is executable and self-contained.

* No tracked file points outside the repository for its evidence, and every relative link of
  README.md and docs/**/*.md reaches an existing file and, with a ``#fragment``, an existing
  heading (or explicit ``<a id>``) anchor of that page.

* Every ```python block of README.md and docs/**/*.md runs as written (parametrised by file and
  line), in a fresh namespace and a scratch working directory, and leaves no stub active. A block
  whose optional peer is missing skips itself with a ``# requires: module ...`` line.
* A block preceded (on the line right before its fence) by ``<!-- run-as: pytest -->`` is a test
  file: it runs through ``pytester`` with this package's pytest plugin, so it gets the plugin's
  fixtures (``ec2_stub``, ``ec2_client``...) and its tests must pass.
* A block preceded by ``<!-- run-as: module NAME -->`` is the source of a module ``NAME``: it
  is not run by itself; the page's ``run-as: pytest`` blocks run in a separate process with it
  importable (so what it registers cannot leak into this process).
* A block preceded by ``<!-- not-run: reason -->`` is not run; it is reported as skipped with its
  reason, and such marks are kept rare.

This module lives in tests/ecosystem/ so that CI's second environment (aiobotocore/aioboto3, which
runs only tests/ecosystem) executes the async snippets too.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
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
    if block.mark == "run-as" and block.mark_value.startswith("module "):
        compile(block.code, block.where, "exec")  # run by the page's test blocks
        return
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
    modules = {b.mark_value.split(None, 1)[1]: b.code for b in blocks(block.page)
               if b.mark == "run-as" and b.mark_value.startswith("module ")}
    if modules:
        pytester.makepyfile(**modules)
    pytester.makepyfile(**{f"test_{block.page.stem.lower()}_{block.line}": block.code})
    if modules:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    else:
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


# -- evidence inside the repository, links that resolve -------------------------------------------

OUTSIDE_REFERENCE = "shared" + "/reference"  # split so that this file does not name it itself
PARENT_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[^\s`'\"()<>\[\]{},;*]*)")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def tracked_files(*patterns: str) -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z", "--", *patterns], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    return [ROOT / name for name in names if name]


def prose_lines(page: Path) -> list[tuple[int, str]]:
    """The page's lines outside fenced blocks, with inline code spans blanked."""
    fenced = {line for block in blocks(page)
              for line in range(block.line, block.line + block.code.count("\n") + 2)}
    return [(number, re.sub(r"`[^`]*`", "``", line))
            for number, line in enumerate(page.read_text().splitlines(), 1)
            if number not in fenced]


def github_slug(heading: str) -> str:
    text = re.sub(r"<[^>]+>", "", heading)                 # HTML tags (explicit anchors)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(page):
        found.update(EXPLICIT_ANCHOR.findall(line))
        heading = HEADING.match(line)
        if heading:
            slug = github_slug(heading.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def test_no_tracked_file_points_outside_the_repository() -> None:
    """Evidence lives in docs/fidelity/sources.md, not in files a reader of the repo lacks."""
    problems = []
    for path in tracked_files("*.md", "*.py"):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if OUTSIDE_REFERENCE in line:
                problems.append(f"{where}: names {OUTSIDE_REFERENCE}")
            for target in PARENT_PATH.findall(line):
                resolved = (path.parent / target.split("#")[0]).resolve()
                if not resolved.is_relative_to(ROOT):
                    problems.append(f"{where}: {target} leaves the repository")
    assert not problems, "\n".join(problems)


def test_relative_links_resolve() -> None:
    problems = []
    for page in doc_pages():
        for number, line in prose_lines(page):
            for target in LINK.findall(line):
                if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                    continue
                where = f"{page.relative_to(ROOT)}:{number}: {target}"
                path_part, _, fragment = target.partition("#")
                destination = (page.parent / path_part).resolve() if path_part else page
                if not destination.is_relative_to(ROOT) or not destination.exists():
                    problems.append(f"{where}: no such file")
                elif fragment and destination.suffix == ".md" and fragment not in anchors(
                        destination):
                    problems.append(f"{where}: no heading or anchor #{fragment}")
    assert not problems, "\n".join(problems)


def test_sources_page_has_the_cited_sections() -> None:
    """The labels the fidelity pages cite have their anchors (a guard against renaming them)."""
    sources = anchors(ROOT / "docs" / "fidelity" / "sources.md")
    expected = {"tags", "ec2-source-keys", "iam-source-keys", "src-ec2-err", "src-iam-err",
                "src-rb-f", "src-sar", "src-eval", "peers-1", "peers-2-6", "botocore-call-path",
                *(f"ec2-{n}" for n in ("1", "1a", "1b", "2", "2a", "2b", "2c", "2d", "3", "4",
                                       "5", "6", "7", "8", "9", "10")),
                *(f"ec2-10-{n}" for n in range(1, 7)), *(f"iam-8-{n}" for n in range(1, 8)),
                *(f"iam-{n}" for n in range(1, 9))}
    assert expected <= sources, sorted(expected - sources)


def test_link_checks_catch_what_they_should(tmp_path: Path) -> None:
    assert github_slug("Where a call's cost goes") == "where-a-calls-cost-goes"
    assert github_slug("Extension points: any service") == "extension-points-any-service"
    assert github_slug('<a id="ec2-1a"></a>ec2 §1a — Error codes') == "ec2-1a--error-codes"
    page = tmp_path / "page.md"
    page.write_text('# Title\n\n## <a id="x-1"></a>Part\n\n```python\n# not a heading\n```\n')
    assert anchors(page) == {"title", "x-1", "part"}
    assert PARENT_PATH.findall("see `../../x/y.md` and ../z") == ["../../x/y.md", "../z"]


# -- cited tests and files exist ------------------------------------------------------------------

#: Pages that cite other projects' files (moto's tests, peer sources): their paths are not ours.
CITES_OTHER_PROJECTS = {"docs/fidelity/sources.md"}
CITED_PATH = re.compile(
    r"(?<![\w/.-])((?:tests|examples|benchmarks|scripts|botostub_ec2|docs)/[\w/.\-]*[\w/])")
CITED_TEST = re.compile(r"`(?:([\w/.\-]*test_\w+\.py)::)?(test_\w+)(\*?)`")
EXAMPLE_PAGES = {"docs/extending.md"}  # shows a module that is an example, not in the package


def _test_names() -> dict[str, set[str]]:
    """Test function names per test file (by file name), from the source."""
    names: dict[str, set[str]] = {}
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("examples/*.py")]:
        found = set(re.findall(r"^\s*(?:async\s+)?def (test_\w+)", path.read_text(), re.M))
        names.setdefault(path.name, set()).update(found)
    return names


def test_cited_files_and_tests_exist() -> None:
    names = _test_names()
    every = set().union(*names.values())
    problems = []
    for page in [*doc_pages(), ROOT / "CHANGELOG.md"]:
        where = page.relative_to(ROOT).as_posix()
        text = page.read_text()
        if where not in CITES_OTHER_PROJECTS | EXAMPLE_PAGES:
            for match in CITED_PATH.finditer(text):
                cited = match.group(1).rstrip(".")
                generated = cited.startswith("benchmarks/results/")  # written by the benchmarks
                if not generated and not (ROOT / cited).exists():
                    problems.append(f"{where}: no file {cited}")
        for file, name, star in CITED_TEST.findall(text):
            pool = names.get(Path(file).name, set()) if file else every
            if file and Path(file).name not in names and where not in EXAMPLE_PAGES:
                problems.append(f"{where}: no test file {file}")
            elif name.endswith("_") or star:
                if not any(candidate.startswith(name) for candidate in pool):
                    problems.append(f"{where}: no test starts with {name}")
            elif name not in pool and where not in EXAMPLE_PAGES | CITES_OTHER_PROJECTS:
                problems.append(f"{where}: no test {file + '::' if file else ''}{name}")
    assert not problems, "\n".join(problems)
