"""The package's shape, read from the source with ``ast`` (nothing here runs the modules' code
except to list the operation families and fill the handler registry).

* Operation modules (``botostub_ec2/operations/*.py``) are leaves: none imports another module of
  ``botostub_ec2/operations`` in any form; each defines at least one ``@operation(...)``; every
  built-in handler comes from one of them.
* Nothing imported from ``botostub_ec2/common`` imports an operation module.
* No import cycle among ``botostub_ec2`` modules (module-level and function-level imports count;
  those under ``if TYPE_CHECKING:`` do not), apart from the allowlisted edges below.
* Operations build service errors through the named constructors of :mod:`botostub_ec2.errors`,
  never with ``ServiceError(...)``.
* No class is longer than :data:`MAX_CLASS_LINES`, and no module reads another module's private
  names (``module._name``, ``from .module import _name``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import botostub_ec2
from botostub_ec2.handlers import REGISTRY

PACKAGE = "botostub_ec2"
ROOT = Path(botostub_ec2.__file__).parent
OPERATIONS = f"{PACKAGE}.operations"
COMMON = f"{PACKAGE}.common"

#: Import edges allowed to close a cycle, each to be removed once its cycle is gone (none today).
ALLOWED_CYCLE_EDGES: set[tuple[str, str]] = set()
#: A class longer than this has grown more than one job.
MAX_CLASS_LINES = 400


# -- reading the source ---------------------------------------------------------------------------


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    node: ast.AST, *, type_checking: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, at any depth (functions, classes, try blocks).

    ``type_checking=False`` skips the body of ``if TYPE_CHECKING:`` blocks (not their ``else``).
    """
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        elif isinstance(child, ast.If) and not type_checking and _is_type_checking(child):
            for statement in child.orelse:
                yield from _import_nodes_of(statement, type_checking=type_checking)
        else:
            yield from _import_nodes(child, type_checking=type_checking)


def _import_nodes_of(
    statement: ast.stmt, *, type_checking: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        yield statement
    else:
        yield from _import_nodes(statement, type_checking=type_checking)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules of the package an import statement of ``module`` imports.

    ``from x import name`` imports the submodule ``x.name`` when there is one, else ``x``. Absolute
    names and relative ones (``from . import``, ``from ..operations.x import``) both count.
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                yield alias.name
        return
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        parts = package.split(".")
        base = parts[: len(parts) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source != PACKAGE and not source.startswith(PACKAGE + "."):
        return
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        yield submodule if submodule in MODULES else source


def _parse(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"), str(MODULES[module]))


def _imports(module: str, *, type_checking: bool) -> set[str]:
    tree = _parse(module)
    return {
        target
        for node in _import_nodes(tree, type_checking=type_checking)
        for target in _targets(module, node)
    }


def _graph() -> dict[str, set[str]]:
    """The package's import graph (runtime imports: module level and inside functions)."""
    return {module: _imports(module, type_checking=False) - {module} for module in MODULES}


def _family_modules() -> dict[str, str]:
    """Family name -> dotted module name, as the operations package discovers them."""
    from botostub_ec2.operations import FAMILIES

    return {name: f"{OPERATIONS}.{name}" for name in FAMILIES}


def _in_operations(module: str) -> bool:
    return module == OPERATIONS or module.startswith(OPERATIONS + ".")


# -- operations are leaves ------------------------------------------------------------------------


def test_every_file_of_the_operations_package_is_a_discovered_family() -> None:
    files = {
        module for module in MODULES
        if module.startswith(OPERATIONS + ".")
    }
    assert files == set(_family_modules().values())


@pytest.mark.parametrize("module", sorted(_family_modules().values()))
def test_an_operation_module_imports_no_other_module_of_operations(module: str) -> None:
    imported = _imports(module, type_checking=True)  # even under TYPE_CHECKING
    wrong = sorted(target for target in imported if _in_operations(target))
    assert not wrong, f"{module} imports {wrong}: move what it needs to botostub_ec2.common"


@pytest.mark.parametrize("module", sorted(_family_modules().values()))
def test_an_operation_module_loads_no_module_dynamically(module: str) -> None:
    # What a static import must not do, importlib must not do either.
    calls = [
        node for node in ast.walk(_parse(module))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
        )
    ]
    assert calls == []


def _defines_an_operation(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call):
                    func = decorator.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    if name == "operation":
                        return True
    return False


@pytest.mark.parametrize("module", sorted(_family_modules().values()))
def test_every_operation_module_defines_an_operation(module: str) -> None:
    assert _defines_an_operation(_parse(module)), f"{module} defines no @operation(...)"


def test_every_built_in_handler_comes_from_a_discovered_module() -> None:
    from botostub_ec2.operations import load_all

    families = set(_family_modules().values())
    registry = load_all()
    assert registry is REGISTRY
    foreign = {
        key: spec.handler.__module__
        for key, spec in registry.items()
        if spec.handler.__module__ not in families
    }
    assert foreign == {}
    assert {spec.handler.__module__ for spec in registry.values()} == families


# -- common never reaches an operation module -----------------------------------------------------


def test_nothing_imported_from_common_imports_an_operation_module() -> None:
    graph = _graph()
    families = set(_family_modules().values())
    for module in sorted(m for m in MODULES if m == COMMON or m.startswith(COMMON + ".")):
        seen, todo = set(), [module]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(graph[current])
        assert sorted(seen & families) == [], f"importing {module} imports an operation module"


# -- no import cycles -----------------------------------------------------------------------------


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_no_import_cycles() -> None:
    graph = _graph()
    for source, target in ALLOWED_CYCLE_EDGES:
        graph[source].discard(target)
    cycles = _cycles(graph)
    details = [
        f"{cycle}: " + ", ".join(
            f"{a} -> {b}" for a in cycle for b in sorted(graph[a]) if b in cycle
        )
        for cycle in cycles
    ]
    assert not details, "import cycles:\n" + "\n".join(details)


def test_every_allowlisted_edge_still_exists() -> None:
    # An allowlisted edge that is gone must leave the allowlist too.
    graph = _graph()
    assert sorted(edge for edge in ALLOWED_CYCLE_EDGES if edge[1] not in graph[edge[0]]) == []


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_relative_imports_resolve_to_package_modules() -> None:
    def targets(module: str, source: str) -> set[str]:
        node = ast.parse(source).body[0]
        assert isinstance(node, (ast.Import, ast.ImportFrom))
        return set(_targets(module, node))

    images = f"{OPERATIONS}.images"
    assert targets(images, "from . import tags") == {f"{OPERATIONS}.tags"}
    assert targets(images, "from .tags import visible_tags") == {f"{OPERATIONS}.tags"}
    assert targets(images, "from ..operations.tags import x") == {f"{OPERATIONS}.tags"}
    assert targets(images, "from ..operations import load_all") == {OPERATIONS}
    assert targets(images, "from ..common.arns import image_arn") == {f"{COMMON}.arns"}
    assert targets(images, "import botostub_ec2.operations.tags") == {f"{OPERATIONS}.tags"}
    assert targets(OPERATIONS, "from . import images") == {images}
    assert targets(images, "import json") == set()


# -- service errors come from named constructors --------------------------------------------------


@pytest.mark.parametrize("module", sorted(
    m for m in MODULES
    if m.startswith((OPERATIONS + ".", COMMON + ".")) or m in (OPERATIONS, COMMON)
))
def test_no_service_error_is_built_by_hand(module: str) -> None:
    # Every service error comes from a named constructor (botostub_ec2.errors: Ec2Errors,
    # RbinErrors, StsErrors, AutoScalingErrors), so each message lives in one place.
    built = [
        node.lineno for node in ast.walk(_parse(module))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "ServiceError")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "ServiceError")
        )
    ]
    assert built == [], f"{module} builds ServiceError(...) on lines {built}"


# -- size and privacy ---------------------------------------------------------------------------


def test_no_class_is_too_long() -> None:
    long = [
        f"{module}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for module in MODULES for node in ast.walk(_parse(module))
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES
    ]
    assert long == []


def _package_module_names(module: str) -> dict[str, str]:
    """Local names bound to package modules by ``import``/``from ... import`` in ``module``."""
    names = {}
    package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(_parse(module)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:
                    names[alias.asname or alias.name] = full
    return names


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_reads_another_modules_private_names(module: str) -> None:
    tree = _parse(module)
    private_imports = [
        f"line {node.lineno}: from {node.module} import {alias.name}"
        for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        and (node.level or (node.module or "").startswith(PACKAGE))
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    modules = _package_module_names(module)
    private_reads = [
        f"line {node.lineno}: {node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        and node.value.id in modules and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    assert private_imports + private_reads == []
