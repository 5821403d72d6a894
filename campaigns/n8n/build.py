"""Write campaign_dispatch.json (the importable n8n workflow) from dispatch.js.

python campaigns/n8n/build.py  — a test fails when the two have drifted apart.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKFLOW_ID = "cmpDispatch00001"


def workflow() -> dict:
    code = (HERE / "dispatch.js").read_text()
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
                "parameters": {"mode": "runOnceForAllItems", "jsCode": code},
            },
        ],
        "connections": {
            "Campaign dispatch": {
                "main": [[{"node": "Verify, send and report", "type": "main", "index": 0}]]
            }
        },
    }


def render() -> str:
    return json.dumps(workflow(), indent=2) + "\n"


if __name__ == "__main__":
    (HERE / "campaign_dispatch.json").write_text(render())
