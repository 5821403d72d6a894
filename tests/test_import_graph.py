"""Dependencies point one way, at three scales: between modules, between the folders of an
app (each a capability: content, accounts, outbox...), and between the apps, where the CRM is
below the campaigns and never imports them. Imports are read from the source, top-level and
function-level alike, so an import tucked inside a function to dodge a circle is found."""

import ast
from collections.abc import Iterable
from pathlib import Path

import campaigns
import crm

APPS = [Path(campaigns.__file__).parent, Path(crm.__file__).parent]


def module_name(package: Path, path: Path) -> str:
    parts = (package.name, *path.relative_to(package).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(packages: Iterable[Path] = APPS) -> dict[str, set[str]]:
    """{module: the modules of the packages it imports}, wherever the import statement is."""
    modules = {
        module_name(package, path): path for package in packages for path in package.rglob("*.py")
    }
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # "from campaigns.outbox import sending" names a module; "from
                # campaigns.models import Lead" names its module.
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in modules else node.module for t in targets]
            else:
                continue
            graph[name] |= {target for target in targets if target in modules} - {name}
    return graph


def folder_of(module: str, packages: Iterable[Path] = APPS) -> str:
    """The capability a module belongs to: `campaigns.outbox` for campaigns.outbox.claims;
    a module at an app's top (campaigns.models) is its own."""
    app, _, rest = module.partition(".")
    first = rest.split(".")[0]
    roots = {package.name: package for package in packages}
    return f"{app}.{first}" if first and (roots[app] / first).is_dir() else module


def folder_graph(graph: dict[str, set[str]], packages: Iterable[Path] = APPS):
    """The import graph between folders (and top-level modules): one edge per pair."""
    folders: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = folder_of(module, packages)
        folders.setdefault(source, set())
        folders[source] |= {folder_of(t, packages) for t in targets} - {source}
    return folders


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as the list of its nodes, or [] when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for following in sorted(graph.get(node, ())):
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


def crm_imports_of_campaigns(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == "crm"
        for target in targets
        if target.split(".")[0] == "campaigns"
    )


def test_modules_import_each_other_without_a_cycle():
    assert find_cycle(import_graph()) == []


def test_folders_import_each_other_without_a_cycle():
    assert find_cycle(folder_graph(import_graph())) == []


def test_the_crm_imports_nothing_of_the_campaigns():
    assert crm_imports_of_campaigns(import_graph()) == []


def _package(root: Path, name: str, files: dict[str, str]) -> Path:
    package = root / name
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [package, *[p for p in package.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()
    return package


def test_a_cycle_closed_by_an_import_inside_a_function_is_found(tmp_path):
    package = _package(
        tmp_path,
        "shop",
        {
            "orders.py": "from shop import mail\n",
            "mail.py": "from shop.management.commands import X\n",
            "management/commands.py": "def handle():\n    import shop.orders\n",
        },
    )
    assert find_cycle(import_graph([package])) == [
        "shop.mail",
        "shop.management.commands",
        "shop.orders",
        "shop.mail",
    ]
    (package / "management" / "commands.py").write_text("def handle():\n    pass\n")
    assert find_cycle(import_graph([package])) == []


def test_a_cycle_between_folders_is_found_though_no_module_cycle_exists(tmp_path):
    package = _package(
        tmp_path,
        "shop",
        {
            "billing/invoices.py": "from shop.shipping import parcels\n",
            "shipping/parcels.py": "",
            "shipping/labels.py": "from shop.billing import totals\n",
            "billing/totals.py": "",
        },
    )
    graph = import_graph([package])
    assert find_cycle(graph) == []
    assert find_cycle(folder_graph(graph, [package])) == [
        "shop.billing",
        "shop.shipping",
        "shop.billing",
    ]


def test_the_crm_importing_the_campaigns_is_found(tmp_path):
    crm_package = _package(tmp_path, "crm", {"admin.py": "from campaigns.models import X\n"})
    campaigns_package = _package(tmp_path, "campaigns", {"models.py": ""})
    graph = import_graph([crm_package, campaigns_package])
    assert crm_imports_of_campaigns(graph) == ["crm.admin imports campaigns.models"]
