"""n8n and a campaign sent from each lead's agent: one dispatch, whose claims each answer
messages of one account, named by `account_id` (rendered and addressed from it), and a
token call that gives that account's token while the batch is in flight, never another's."""

import base64
from email import message_from_bytes, policy

import pytest

from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from tests.campaigns.conftest import claim_url, n8n_dispatch, report, token_url
from tests.campaigns.conftest import signed_call as call
from tests.conftest import connect_gmail

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")


@pytest.fixture
def accounts(campaign_a, org_a, staff_a, maria, google):
    """The campaign's Gmail (Alice's) and Maria's; Maria owns two leads, one has no agent."""
    primary = connect_gmail(google, staff_a, org_a, "alice@gmail.example")
    marias = connect_gmail(google, maria, org_a, "maria@gmail.example")
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=primary, send_from_agents=True)
    campaign_a.refresh_from_db()
    for name in ("ana", "ben"):
        Lead.objects.create(organization=org_a, name=name, email=f"{name}@example.com", owner=maria)
    return primary, marias


def sender(message: dict) -> str:
    raw = message_from_bytes(base64.urlsafe_b64decode(message["raw"]), policy=policy.default)
    return raw["From"].addresses[0].addr_spec


def test_each_claim_answers_messages_of_one_account_and_names_it(campaign_a, accounts):
    primary, marias = accounts
    launched = n8n_dispatch(campaign_a, 1)  # one more lead, without an agent
    batches = [call(claim_url(launched), {"limit": 10}).json() for _ in range(3)]
    assert [len(batch["messages"]) for batch in batches] == [1, 2, 0]
    assert [batch["account_id"] for batch in batches[:2]] == [str(primary.pk), str(marias.pk)]
    assert [sender(m) for m in batches[1]["messages"]] == ["maria@gmail.example"] * 2
    assert sender(batches[0]["messages"][0]) == "alice@gmail.example"


def test_the_token_of_a_claimed_batchs_account_is_its_own(campaign_a, accounts, google):
    _, marias = accounts
    launched = n8n_dispatch(campaign_a, 0)
    claimed = call(claim_url(launched), {"limit": 10}).json()
    assert claimed["account_id"] == str(marias.pk)
    token = call(token_url(launched), {"account_id": str(marias.pk)}).json()["access_token"]
    assert google.token_mailbox[token] == "maria@gmail.example"
    own = call(token_url(launched)).json()["access_token"]
    assert google.token_mailbox[own] == "alice@gmail.example"


def test_a_batch_in_flight_gets_its_token_after_a_pause_and_nothing_after_it_is_logged(
    campaign_a, accounts
):
    _, marias = accounts
    launched = n8n_dispatch(campaign_a, 0)
    claimed = call(claim_url(launched), {"limit": 10}).json()
    campaign_a.pause()
    assert call(token_url(launched)).status_code == 409  # n8n stops claiming...
    asked = call(token_url(launched), {"account_id": str(marias.pk)})
    assert asked.status_code == 200  # ...and sends what it holds
    logged = {"messages": [report(message) for message in claimed["messages"]]}
    assert call("/api/campaigns/log-message/", logged).status_code == 200
    refused = call(token_url(launched), {"account_id": str(marias.pk)})
    assert refused.status_code == 404 and refused.json()["field"] == "account_id"


def test_no_token_is_given_for_an_account_the_dispatch_does_not_send_through(
    campaign_a, accounts, account_b, org_a, tom, google
):
    launched = n8n_dispatch(campaign_a, 0)
    call(claim_url(launched), {"limit": 10})
    toms = connect_gmail(google, tom, org_a, "tom@gmail.example")
    for account in (toms, account_b):
        asked = call(token_url(launched), {"account_id": str(account.pk)})
        assert asked.status_code == 404


def test_an_agent_account_that_needs_reconnecting_makes_n8n_come_back_later(campaign_a, accounts):
    _, marias = accounts
    EmailAccount.objects.filter(pk=marias.pk).update(needs_reconnect=True)
    launched = n8n_dispatch(campaign_a, 0)
    answer = call(claim_url(launched), {"limit": 10}).json()
    assert answer["messages"] == []
    assert (answer["retry_after"], answer["waiting"]) == (claims.RECONNECT_WAIT, claims.CANNOT_SEND)
    assert MessageLog.objects.filter(status=Status.QUEUED).count() == 2
