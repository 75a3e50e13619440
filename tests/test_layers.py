"""The package's import graph: no module imports another in a circle at import time, and the
layers of README "Architecture" hold (the engine never imports the app, the CLI or the tools).
Read from the source (module-level imports, TYPE_CHECKING blocks aside), so it needs nothing installed."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(body: list[ast.stmt]):
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            yield from _runtime_imports(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _runtime_imports(node.body)


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                deps.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in files else target)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle found by a depth-first walk (each reported once, from where the walk met it)."""
    found, state, stack = [], {}, []

    def walk(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                walk(dep)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def test_no_module_imports_another_in_a_circle():
    graph = import_graph()
    assert len(graph) > 50 and graph["assistant.pipeline"]  # the graph was read
    assert cycles(graph) == []


def test_the_check_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]


ENGINE = ("assistant.ingest", "assistant.parse", "assistant.knowledge", "assistant.targets", "assistant.chunk",
          "assistant.text", "assistant.embed", "assistant.search", "assistant.store", "assistant.indexer",
          "assistant.question", "assistant.answer", "assistant.retrieve", "assistant.pipeline", "assistant.schema")
TOOLS = ("assistant.ui", "assistant.cli", "assistant.bench", "assistant.evaluate", "assistant.report",
         "assistant.load", "assistant.lc", "assistant.llm")


def test_the_engine_never_imports_the_app_the_cli_or_the_tools():
    graph = import_graph()
    for name, deps in graph.items():
        if name.startswith(ENGINE):
            assert not {d for d in deps if d.startswith(TOOLS)}, name
