"""Dependencies among the modules of campaigns/ point one way: the import graph (top-level
and function-level imports alike, read from the source) has no cycle, so events (opens,
clicks, replies, bounces, unsubscribes) call down into the stop rules, never up."""

import ast
from pathlib import Path

import campaigns

PACKAGE = Path(campaigns.__file__).parent


def module_name(package: Path, path: Path) -> str:
    parts = (package.name, *path.relative_to(package).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the modules of the package it imports}, wherever the import statement is."""
    modules = {module_name(package, path): path for path in package.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # "from campaigns import sending" names a module; "from campaigns.models
                # import Lead" names its module.
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in modules else node.module for t in targets]
            else:
                continue
            graph[name] |= {target for target in targets if target in modules} - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as the list of its modules, or [] when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for following in sorted(graph[node]):
            if state.get(following) == "open":
                return [*path[path.index(following) :], following]
            if following not in state and (cycle := visit(following)):
                return cycle
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_modules_of_campaigns_import_each_other_without_a_cycle():
    assert find_cycle(import_graph()) == []


def test_a_cycle_closed_by_an_import_inside_a_function_is_found(tmp_path):
    package = tmp_path / "shop"
    (package / "management").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "orders.py").write_text("from shop import mail\n")
    (package / "mail.py").write_text("from shop.management.commands import X\n")
    (package / "management" / "commands.py").write_text("def handle():\n    import shop.orders\n")
    assert find_cycle(import_graph(package)) == [
        "shop.mail",
        "shop.management.commands",
        "shop.orders",
        "shop.mail",
    ]
    (package / "management" / "commands.py").write_text("def handle():\n    pass\n")
    assert find_cycle(import_graph(package)) == []
