"""A gunicorn worker is killed after log-message's work committed, before its answer went
out: the retry with the same request id gets the first answer (the report recorded once),
never a 409 for the ten minutes an id is kept. The request id, the work and the answer
commit together, so whatever moment the kill comes, the three are there or none is."""

import json
import os
import signal
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests

from campaigns.models import Dispatch, MessageLog
from campaigns.n8n import signing
from tests.faults.linger import HEADER

Status = MessageLog.Status
# The answer is stored slowly (the database makes its UPDATE wait), and the server checks
# often whether its client is still there: a worker killed while its answer is being
# stored leaves none, as a crash at that moment would.
SLOW_ANSWER = """
CREATE FUNCTION fault_answer_slowly() RETURNS trigger AS $$
BEGIN
  IF NEW.status_code IS NOT NULL THEN PERFORM pg_sleep(3); END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER fault_answer_slowly BEFORE UPDATE ON campaigns_signedrequest
  FOR EACH ROW EXECUTE FUNCTION fault_answer_slowly();
"""


def signed_post(web: str, path: str, payload: dict, request_id: str, **headers: str):
    body = json.dumps(payload).encode()
    header = signing.sign(body, path=path, request_id=request_id)
    return body, {"Content-Type": "application/json", signing.HEADER: header, **headers}


@pytest.mark.timeout(150)
def test_a_worker_killed_after_the_report_committed_leaves_its_answer_for_the_retry(world):
    world.cluster.configure(client_connection_check_interval="100ms")
    cast = world.agency(leads=3, accounts={"a": 100})
    dispatch = world.launch(world.blast(cast, "news", "a"))
    Dispatch.objects.filter(pk=dispatch.pk).update(driver=Dispatch.Driver.N8N)
    web = world.gunicorn(2, DJANGO_SETTINGS_MODULE="tests.faults.settings_linger")
    claim_path = f"/api/campaigns/dispatches/{dispatch.pk}/claim/"
    body, headers = signed_post(web, claim_path, {"limit": 1}, signing.new_request_id())
    [message] = requests.post(web + claim_path, data=body, headers=headers, timeout=30).json()[
        "messages"
    ]
    with psycopg.connect(world.cluster.url(world.database), autocommit=True) as connection:
        connection.execute(SLOW_ANSWER)

    path = "/api/campaigns/log-message/"
    report = {
        "campaign_id": message["campaign_id"],
        "message_log_id": message["message_log_id"],
        "status": "sent",
        "provider_message_id": "gmail-once",
    }
    request_id = signing.new_request_id()
    body, headers = signed_post(web, path, {"messages": [report]}, request_id)
    first: dict = {}

    def report_it() -> None:
        try:
            first["answer"] = requests.post(
                web + path, data=body, headers={**headers, HEADER: "5"}, timeout=30
            )
        except requests.RequestException as error:
            first["error"] = error

    thread = threading.Thread(target=report_it)
    thread.start()
    row = MessageLog.objects.filter(pk=message["message_log_id"])
    world.wait_for("the report committed", lambda: row.get().status == Status.SENT, 30)
    time.sleep(0.5)
    for pid in _workers(world):
        os.kill(pid, signal.SIGKILL)  # the worker dies before its answer goes out
    thread.join()
    assert "answer" not in first, "the first call was answered: the kill came too late"

    retry = requests.post(web + path, data=body, headers=headers, timeout=60)
    assert retry.status_code == 200, retry.text
    [result] = retry.json()["results"]
    assert result["status"] == Status.SENT
    assert row.get().provider_message_id == "gmail-once"


def _workers(world) -> list[int]:
    """gunicorn's workers: the children of its master."""
    master = world.fleet.running["gunicorn"].process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]
