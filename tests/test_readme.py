"""The README is a true front page: its Layout names every folder of campaigns/ and crm/
and nothing that is not there, it links every page of docs/, and every command it or a
page of docs/ shows for manage.py asks for development first (with DJANGO_DEBUG unset a
command stops: production needs its secrets)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PAGES = sorted((ROOT / "docs").glob("*.md"))
NAMED = re.compile(r"`([a-z0-9_]+)/`")


def layout() -> str:
    return README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def layout_folders(app: str) -> set[str]:
    """The folders the Layout names under `app`: its lines from `app/` to the next app."""
    lines = layout().split(f"- `{app}/`", 1)[1].split("\n- `", 1)[0]
    return set(NAMED.findall(lines))


def test_the_layout_names_every_folder_of_both_apps_and_only_those():
    for app in ("campaigns", "crm"):
        named = layout_folders(app)
        folders = [path for path in (ROOT / app).rglob("*") if path.is_dir()]
        top = {path.name for path in folders if path.parent == ROOT / app}
        assert top - {"__pycache__"} <= named, f"{app}/: the Layout does not name them all"
        everywhere = {path.name for path in folders}
        assert named <= everywhere, f"{app}/: the Layout names {named - everywhere}"


def test_the_readme_links_every_page_of_docs_and_each_link_leads_somewhere():
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README))
    assert linked == {f"docs/{page.name}" for page in PAGES}
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+\.md)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}"


def test_every_manage_py_command_shown_asks_for_development_first():
    for source in [ROOT / "README.md", *PAGES]:
        for block in re.findall(r"```sh\n(.*?)```", source.read_text(), re.S):
            if "manage.py" in block:
                before = block.split("manage.py", 1)[0]
                assert "export DJANGO_DEBUG=1" in before, f"{source.name}: {block}"
