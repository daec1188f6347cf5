"""The provider library's shape, read from its source: what issue 10 promises stays true.

Imports are collected from every statement of every module (function-level and
`TYPE_CHECKING` ones included), so a cycle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[3]
APP = BACKEND / "app"
PACKAGE = APP / "ai" / "providers"
FORBIDDEN = ("app.api", "app.ai.chains", "app.ai.rag", "app.ai.cache", "app.db", "app.observability")
#: Module-level names bound to these are process-wide mutable state.
STATEFUL_CALLS = {
    "dict", "list", "set", "OrderedDict", "defaultdict", "deque", "Lock", "RLock",
    "ThreadPoolExecutor", "WeakKeyDictionary", "WeakValueDictionary", "Counter",
}


def _module(path: Path) -> str:
    parts = path.relative_to(BACKEND).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _graph() -> dict[str, set[str]]:
    return {name: {m for m in _imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def test_no_import_cycle_inside_the_package() -> None:
    graph = _graph()
    # The package's __init__ re-exports the public surface: importing it is not a dependency
    # of its submodules (Python imports a parent package before its child anyway).
    graph = {n: {m for m in deps if m != "app.ai.providers"} for n, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_only_assembly_imports_core_and_nothing_imports_the_layers_above() -> None:
    core_users = sorted(n for n, p in MODULES.items() if any(m.startswith("app.core") for m in _imports(p)))
    assert core_users == ["app.ai.providers.assembly"]
    upward = {n: sorted(m for m in _imports(p) if m.startswith(FORBIDDEN)) for n, p in MODULES.items()}
    assert {n: found for n, found in upward.items() if found} == {}


def test_no_module_level_mutable_state() -> None:
    offenders: list[str] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                offenders.append(f"{name}: global {', '.join(node.names)}")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    label = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                    if label in ("lru_cache", "cache"):
                        offenders.append(f"{name}: @{label} {node.name}")
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if not isinstance(target, ast.Name) or target.id.isupper() or target.id in ("logger", "__all__"):
                    continue  # constants (UPPER_CASE) and the logger are fine
                mutable = isinstance(value, ast.Dict | ast.List | ast.Set)
                if isinstance(value, ast.Call):
                    func = value.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    mutable = mutable or called in STATEFUL_CALLS or called[:1].isupper()
                if mutable:
                    offenders.append(f"{name}: {target.id}")
    assert offenders == []


def test_no_module_in_the_app_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(BACKEND)): n
        for p in APP.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_the_layout_shows_the_architecture() -> None:
    for folder, expected in {
        "adapters": {"base", "openai", "anthropic", "gemini", "openai_compatible", "registry"},
        "engine": {"engine", "attempt", "call", "chat_model", "planner", "hedging", "stream_guard",
                   "structured", "policy"},
        "policies": {"classification", "backoff", "deadline", "routing", "strategies", "circuit",
                     "state_store", "gates", "pricing", "budget", "health", "hedge", "context_window"},
    }.items():
        present = {p.stem for p in (PACKAGE / folder).glob("*.py")}
        assert expected <= present, folder
    assert (PACKAGE / "assembly.py").is_file() and (PACKAGE / "runtime.py").is_file()


def _policy_modules() -> dict[str, Path]:
    return {n: p for n, p in MODULES.items() if n.startswith("app.ai.providers.policies.")}


def test_policies_import_no_provider() -> None:
    """Dependencies point one way: adapters use policies, policies never a provider's module
    or the registry (only `adapters/base.py`'s shared types, such as `Member`)."""
    providers = {
        m for m in MODULES if m.startswith("app.ai.providers.adapters.") and m != "app.ai.providers.adapters.base"
    }
    found = {n: sorted(_imports(p) & providers) for n, p in _policy_modules().items()}
    assert {n: deps for n, deps in found.items() if deps} == {}
    assert not any(m.startswith("app.ai.providers.adapters") for m in _imports(PACKAGE / "policies" / "pricing.py"))


def test_policies_hold_no_model_data() -> None:
    """Prices and context windows of a provider's models live in its adapter module, so
    adding a provider touches that module alone: no policy names a model."""
    prefixes = ("gpt-", "o1", "o3", "o4", "chatgpt-", "claude-", "gemini-", "llama", "mistral", "qwen", "gemma")
    offenders: list[str] = []
    for name, path in _policy_modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(prefixes):
                offenders.append(f"{name}: {node.value!r}")
    assert offenders == []
