"""Imports inside the monitoring app point one way: tasks -> alerts/services, never back.

Function-level imports count too: a lazy import hides a cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import monitoring

APP = Path(monitoring.__file__).parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = {f"monitoring.{p.stem}": p for p in APP.glob("*.py") if p.stem != "__init__"}
    return {name: _imported(path) & modules.keys() for name, path in modules.items()}


def _reaches(graph: dict[str, set[str]], start: str, target: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(graph.get(current, ()))
    return False


def test_nothing_in_monitoring_imports_the_tasks_module():
    graph = _graph()
    importers = sorted(name for name, deps in graph.items() if "monitoring.tasks" in deps)
    assert importers == []


def test_the_monitoring_modules_have_no_import_cycle():
    graph = _graph()
    cycles = [
        (name, dep) for name, deps in graph.items() for dep in deps if _reaches(graph, dep, name)
    ]
    assert cycles == []
