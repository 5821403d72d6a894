"""The seed's contracts still hold (issue 24 §5): a workflow built from the spec posts its
log-message payload (`campaign_id`, `lead_id`, `status`, `provider_message_id`, `sent_at`,
no `message_log_id`) and its status payload, and both are accepted: the report is matched
to the message of that campaign and lead in flight (for a sequence, the step it names or the
one in flight), a 409 says what to add when several could be meant, unknown ids get 404."""

import pytest
from django.utils import timezone

from campaigns.api.spec_reports import AMBIGUOUS, NO_MESSAGE
from campaigns.models import Campaign, Dispatch, MessageLog
from crm.models import Lead
from tests.campaigns.conftest import (
    LOG_URL,
    STATUS_URL,
    claim_url,
    n8n_dispatch,
    signed_call,
)
from tests.conftest import make_sequence

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")
UNKNOWN = "550e8400-e29b-41d4-a716-446655440000"  # the spec's example id: nobody's


def seed_log_payload(campaign_id, lead_id, status="sent"):
    """The spec's log-message payload, field for field (Node 6 of its workflow)."""
    return {
        "campaign_id": str(campaign_id),
        "lead_id": str(lead_id),
        "status": status,
        "provider_message_id": "18c2f0a1b2c3d4e5",
        "sent_at": "2024-01-15T10:00:00Z",
    }


def seed_status_payload(campaign_id, lead_id):
    """The spec's status callback, field for field (its comments left out: JSON has none)."""
    return {
        "campaign_id": str(campaign_id),
        "status": "completed",
        "stats": {"total_leads": 2, "sent": 1, "failed": 1, "delivery_rate": 50.0},
        "errors": [{"lead_id": str(lead_id), "error": "Invalid email address"}],
    }


def test_the_seeds_log_message_payload_records_the_message_in_flight(campaign_a):
    dispatch = n8n_dispatch(campaign_a, 2)
    first, second = signed_call(claim_url(dispatch), {"limit": 2}).json()["messages"]
    response = signed_call(LOG_URL, seed_log_payload(campaign_a.pk, first["lead_id"]))
    assert response.status_code == 200, response.json()
    assert response.json()["results"] == [
        {"message_log_id": first["message_log_id"], "status": "sent", "changed": True}
    ]
    recorded = MessageLog.objects.get(pk=first["message_log_id"])
    assert (recorded.status, recorded.provider_message_id) == (Status.SENT, "18c2f0a1b2c3d4e5")
    # The spec's example time (2024) is before the claim: taken within the claim's window.
    assert recorded.sent_at >= recorded.claimed_at
    assert MessageLog.objects.get(pk=second["message_log_id"]).status == Status.SENDING
    again = signed_call(LOG_URL, seed_log_payload(campaign_a.pk, first["lead_id"]))
    assert again.status_code == 200 and again.json()["results"][0]["changed"] is False
    failed = seed_log_payload(campaign_a.pk, second["lead_id"], "failed")
    assert signed_call(LOG_URL, {"messages": [failed]}).status_code == 200
    assert MessageLog.objects.get(pk=second["message_log_id"]).status == Status.FAILED


def test_the_seeds_status_payload_completes_the_dispatch(campaign_a):
    dispatch = n8n_dispatch(campaign_a, 2)
    first, second = signed_call(claim_url(dispatch), {"limit": 2}).json()["messages"]
    signed_call(LOG_URL, seed_log_payload(campaign_a.pk, first["lead_id"]))
    signed_call(LOG_URL, seed_log_payload(campaign_a.pk, second["lead_id"], "failed"))
    response = signed_call(STATUS_URL, seed_status_payload(campaign_a.pk, second["lead_id"]))
    assert response.status_code == 200, response.json()
    assert response.json() == {"dispatch_id": str(dispatch.pk), "status": "completed"}
    dispatch.refresh_from_db()
    assert dispatch.reported_stats["delivery_rate"] == 50.0
    assert dispatch.reported_errors == [
        {"lead_id": second["lead_id"], "error": "Invalid email address"}
    ]


def test_unknown_ids_are_404_and_change_nothing(campaign_a, campaign_b, lead_b):
    dispatch = n8n_dispatch(campaign_a, 1)
    [message] = signed_call(claim_url(dispatch), {"limit": 1}).json()["messages"]
    for campaign_id, lead_id in [
        (UNKNOWN, message["lead_id"]),
        (campaign_a.pk, UNKNOWN),
        (campaign_a.pk, lead_b.pk),  # another agency's lead
        (campaign_b.pk, message["lead_id"]),  # another agency's campaign
    ]:
        response = signed_call(LOG_URL, seed_log_payload(campaign_id, lead_id))
        assert (response.status_code, response.json()["error"]) == (404, NO_MESSAGE)
    assert signed_call(STATUS_URL, seed_status_payload(UNKNOWN, UNKNOWN)).status_code == 404
    assert MessageLog.objects.get(pk=message["message_log_id"]).status == Status.SENDING


def test_a_payload_that_names_neither_message_nor_lead_is_400(campaign_a):
    response = signed_call(LOG_URL, {"campaign_id": str(campaign_a.pk), "status": "sent"})
    assert response.status_code == 400
    assert response.json()["field"] == "lead_id"


@pytest.fixture
def two_steps_in_flight(org_a, account_a):
    """A sequence sent through n8n whose lead has steps 1 and 2 in flight at once."""
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(status=Campaign.Status.ACTIVE)
    lead = Lead.objects.create(organization=org_a, name="Seq", email="seq@example.com")
    dispatch = Dispatch.objects.create(
        organization=org_a, campaign=sequence, email_account=account_a, driver="n8n"
    )
    steps = list(sequence.steps.order_by("order"))
    for step in steps[:2]:
        MessageLog.objects.create(
            organization=org_a,
            campaign=sequence,
            campaign_step=step,
            lead=lead,
            dispatch=dispatch,
            email_account=account_a,
            to_email=lead.email,
            status=Status.SENDING,
            claimed_at=timezone.now(),
        )
    return sequence, lead, steps


def test_for_a_sequence_the_step_it_names_is_recorded(two_steps_in_flight):
    sequence, lead, steps = two_steps_in_flight
    ambiguous = signed_call(LOG_URL, seed_log_payload(sequence.pk, lead.pk))
    assert ambiguous.status_code == 409
    expected = AMBIGUOUS.format(count=2, or_step=" or its step (campaign_step_id)")
    assert ambiguous.json()["error"] == expected
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.SENDING}
    named = {**seed_log_payload(sequence.pk, lead.pk), "campaign_step_id": str(steps[1].pk)}
    assert signed_call(LOG_URL, named).status_code == 200
    assert MessageLog.objects.get(campaign_step=steps[1]).status == Status.SENT
    # Now only step 1 is in flight: the spec's payload, naming no step, is step 1's.
    assert signed_call(LOG_URL, seed_log_payload(sequence.pk, lead.pk)).status_code == 200
    assert MessageLog.objects.get(campaign_step=steps[0]).status == Status.SENT


def test_a_step_of_another_campaign_is_404(two_steps_in_flight, campaign_a):
    sequence, lead, _ = two_steps_in_flight
    foreign_step = campaign_a.steps.get()
    named = {**seed_log_payload(sequence.pk, lead.pk), "campaign_step_id": str(foreign_step.pk)}
    assert signed_call(LOG_URL, named).status_code == 404


def test_in_a_batch_an_unmatched_report_is_answered_in_its_result(campaign_a):
    dispatch = n8n_dispatch(campaign_a, 1)
    [message] = signed_call(claim_url(dispatch), {"limit": 1}).json()["messages"]
    batch = [
        seed_log_payload(campaign_a.pk, message["lead_id"]),
        seed_log_payload(campaign_a.pk, UNKNOWN),
    ]
    response = signed_call(LOG_URL, {"messages": batch})
    assert response.status_code == 200
    recorded, unmatched = response.json()["results"]
    assert recorded == {
        "message_log_id": message["message_log_id"],
        "status": "sent",
        "changed": True,
    }
    assert unmatched == {
        "message_log_id": None,
        "lead_id": UNKNOWN,
        "status": None,
        "changed": False,
        "error": NO_MESSAGE,
        "code": 404,
    }
