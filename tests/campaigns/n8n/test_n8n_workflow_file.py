"""The shipped workflow JSON is built from dispatch.js and importable as it stands."""

import json
from pathlib import Path

import pytest

from campaigns.n8n import build

FOLDER = Path(build.__file__).resolve().parent


@pytest.mark.parametrize("name", sorted(build.FILES))
def test_the_committed_workflows_match_their_sources(name):
    assert (FOLDER / name).read_text() == build.render(name), "run: python campaigns/n8n/build.py"


def test_the_workflow_listens_on_campaign_dispatch_with_the_raw_body():
    workflow = json.loads((FOLDER / "campaign_dispatch.json").read_text())
    webhook = next(n for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.webhook")
    assert webhook["parameters"]["path"] == "campaign-dispatch"
    assert webhook["parameters"]["options"]["rawBody"] is True
