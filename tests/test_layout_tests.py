"""The tests mirror the package (read with ``ast`` and ``pkgutil``; no test module is imported).

* ``tests/operations/`` has exactly one ``test_<module>.py`` per module of
  ``botostub_ec2/operations/``: a new operation family without its test module fails here.
* The fixtures of ``tests/operations/conftest.py`` are defined there only, not again in a test
  module of that directory.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import botostub_ec2.operations

OPERATION_TESTS = Path(__file__).parent / "operations"


def _fixtures(path: Path) -> set[str]:
    """Names of the functions ``path`` decorates with ``pytest.fixture`` (called or not)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr == "fixture":
                    found.add(node.name)
    return found


def test_one_test_module_per_operations_module() -> None:
    families = {info.name for info in pkgutil.iter_modules(botostub_ec2.operations.__path__)}
    families.discard("__init__")
    tested = {path.stem.removeprefix("test_") for path in OPERATION_TESTS.glob("test_*.py")}
    assert sorted(families - tested) == [], "operations modules without their test module"
    assert sorted(tested - families) == [], "test modules without their operations module"


def test_the_operation_fixtures_are_defined_once() -> None:
    shared = _fixtures(OPERATION_TESTS / "conftest.py")
    assert {"ec2", "rbin", "other_ec2", "frozen_clock"} <= shared
    redefined = {
        path.name: sorted(_fixtures(path) & shared)
        for path in sorted(OPERATION_TESTS.glob("test_*.py"))
        if _fixtures(path) & shared
    }
    assert redefined == {}


def test_the_fixture_finder_finds_fixtures(tmp_path: Path) -> None:
    module = tmp_path / "test_sample.py"
    module.write_text(
        "import pytest\n"
        "@pytest.fixture\ndef plain(): ...\n"
        "@pytest.fixture(scope='module')\ndef called(): ...\n"
        "@pytest.mark.skip\ndef test_not_a_fixture(): ...\n",
        encoding="utf-8",
    )
    assert _fixtures(module) == {"plain", "called"}
