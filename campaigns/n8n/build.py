"""Write the importable n8n workflows from their Code nodes' sources:
campaign_dispatch.json from dispatch.js, sequence_tick.json from tick.js, reply_check.json
from check_replies.js; each Code node starts with signed_call.js, the signing they share.

python campaigns/n8n/build.py  — a test fails when a JSON and its source drift apart.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKFLOW_ID = "cmpDispatch00001"
TICK_WORKFLOW_ID = "cmpSeqTick000001"
REPLIES_WORKFLOW_ID = "cmpReplyCheck001"


def code(name: str) -> str:
    """A Code node's JavaScript: the shared signing, then the node's own source."""
    return (HERE / "signed_call.js").read_text() + "\n" + (HERE / name).read_text()


def workflow() -> dict:
    return {
        "id": WORKFLOW_ID,
        "name": "Campaign dispatch",
        "active": False,
        "settings": {"executionOrder": "v1"},
        "nodes": [
            {
                "id": "5c0f8a52-5b0e-4c55-9a1e-3d8b6b6f2a01",
                "name": "Campaign dispatch",
                "type": "n8n-nodes-base.webhook",
                "typeVersion": 2,
                "position": [0, 0],
                "webhookId": "8f6d2d0e-6a53-4c1b-9b58-0d7b1e0c9a11",
                "parameters": {
                    "httpMethod": "POST",
                    "path": "campaign-dispatch",
                    "responseMode": "onReceived",
                    "options": {"rawBody": True},
                },
            },
            {
                "id": "a2b7c3d4-1e2f-4a5b-8c9d-0e1f2a3b4c5d",
                "name": "Verify, send and report",
                "type": "n8n-nodes-base.code",
                "typeVersion": 2,
                "position": [320, 0],
                "parameters": {"mode": "runOnceForAllItems", "jsCode": code("dispatch.js")},
            },
        ],
        "connections": {
            "Campaign dispatch": {
                "main": [[{"node": "Verify, send and report", "type": "main", "index": 0}]]
            }
        },
    }


def tick_workflow() -> dict:
    return {
        "id": TICK_WORKFLOW_ID,
        "name": "Sequence tick",
        "active": False,
        "settings": {"executionOrder": "v1"},
        "nodes": [
            {
                "id": "0d9e7c3b-6f1a-4b2c-9d8e-7f6a5b4c3d21",
                # The periodic jobs: the watchdog among them replaces lost runs within
                # a minute or two.
                "name": "Every minute",
                "type": "n8n-nodes-base.scheduleTrigger",
                "typeVersion": 1.2,
                "position": [0, 0],
                "parameters": {"rule": {"interval": [{"field": "minutes", "minutesInterval": 1}]}},
            },
            {
                # Also lets staff (and `n8n execute`) run the tick by hand.
                "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                "name": "Run now",
                "type": "n8n-nodes-base.manualTrigger",
                "typeVersion": 1,
                "position": [0, 200],
                "parameters": {},
            },
            {
                "id": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
                "name": "Run the tick",
                "type": "n8n-nodes-base.code",
                "typeVersion": 2,
                "position": [320, 0],
                "parameters": {
                    "mode": "runOnceForAllItems",
                    "jsCode": code("tick.js"),
                },
            },
        ],
        "connections": {
            "Every minute": {"main": [[{"node": "Run the tick", "type": "main", "index": 0}]]},
            "Run now": {"main": [[{"node": "Run the tick", "type": "main", "index": 0}]]},
        },
    }


def replies_workflow() -> dict:
    return {
        "id": REPLIES_WORKFLOW_ID,
        "name": "Reply and bounce check",
        "active": False,
        "settings": {"executionOrder": "v1"},
        "nodes": [
            {
                "id": "6b1f2e3d-4c5b-4a69-8e7d-1c2b3a4f5e61",
                "name": "Every 15 minutes",
                "type": "n8n-nodes-base.scheduleTrigger",
                "typeVersion": 1.2,
                "position": [0, 0],
                "parameters": {"rule": {"interval": [{"field": "minutes", "minutesInterval": 15}]}},
            },
            {
                "id": "7c2a3b4d-5e6f-4071-9a8b-2d3c4e5f6a72",
                "name": "Run now",
                "type": "n8n-nodes-base.manualTrigger",
                "typeVersion": 1,
                "position": [0, 200],
                "parameters": {},
            },
            {
                "id": "8d3b4c5e-6f70-4182-ab9c-3e4f5a6b7c83",
                "name": "Check replies and bounces",
                "type": "n8n-nodes-base.code",
                "typeVersion": 2,
                "position": [320, 0],
                "parameters": {
                    "mode": "runOnceForAllItems",
                    "jsCode": code("check_replies.js"),
                },
            },
        ],
        "connections": {
            "Every 15 minutes": {
                "main": [[{"node": "Check replies and bounces", "type": "main", "index": 0}]]
            },
            "Run now": {
                "main": [[{"node": "Check replies and bounces", "type": "main", "index": 0}]]
            },
        },
    }


FILES = {
    "campaign_dispatch.json": workflow,
    "sequence_tick.json": tick_workflow,
    "reply_check.json": replies_workflow,
}


def render(name: str = "campaign_dispatch.json") -> str:
    return json.dumps(FILES[name](), indent=2) + "\n"


if __name__ == "__main__":
    for name in FILES:
        (HERE / name).write_text(render(name))
