"""The campaigns list shows how each campaign went: its status, a progress bar, and its
sent, open, click and reply figures, read for the whole page in one grouped query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Enrollment, MessageLog
from crm.models import Lead
from tests.conftest import make_sequence

Status = MessageLog.Status
LIST = reverse("admin:campaigns_campaign_changelist")


def sent_blast(organization, account, name: str, outcomes: list[str], **tracking) -> Campaign:
    campaign = Campaign.objects.create(
        organization=organization,
        name=name,
        email_account=account,
        status=Campaign.Status.ACTIVE,
        launched_at=timezone.now(),
        **tracking,
    )
    step = campaign.steps.create(order=1, subject="Hello", body_template="<p>Hi</p>")
    now = timezone.now()
    for n, outcome in enumerate(outcomes):
        lead = Lead.objects.create(
            organization=organization, name=f"{name} {n}", email=f"{name}{n}@example.com"
        )
        sent = outcome not in ("queued", "failed")
        MessageLog.objects.create(
            organization=organization,
            campaign=campaign,
            campaign_step=step,
            lead=lead,
            status=Status.SENT if outcome in ("opened", "clicked") else outcome,
            sent_at=now if sent else None,
            opened_at=now if outcome in ("opened", "clicked") else None,
            clicked_at=now if outcome == "clicked" else None,
            replied_at=now if outcome == "replied" else None,
        )
    return campaign


def row_of(page: str, name: str) -> str:
    start = page.index(f">{name}</a>")
    return page[start : page.index("</tr>", start)]


def test_the_list_shows_progress_and_rates_of_each_campaign(client_a, org_a, account_a):
    sent_blast(
        org_a,
        account_a,
        "Open house",
        ["sent", "opened", "clicked", "replied", "queued"],
        track_opens=True,
        track_clicks=True,
    )
    sent_blast(org_a, account_a, "Untracked", ["sent", "sent"])
    Campaign.objects.create(organization=org_a, name="Still a draft", email_account=account_a)
    page = client_a.get(LIST).content.decode()

    tracked = row_of(page, "Open house")
    assert "Active" in tracked
    assert "width: 80.0%" in tracked and "4 of 5" in tracked  # 4 done, 1 waiting
    # Of the 4 sent: 2 opened (a click is an open), 1 clicked, 1 replied.
    assert ">4<" in tracked
    assert "50.0%" in tracked and "25.0%" in tracked

    untracked = row_of(page, "Untracked")
    assert "2 of 2" in untracked and untracked.count("not tracked") == 2
    assert "0.0%" in untracked  # nobody replied

    draft = row_of(page, "Still a draft")
    assert "Draft" in draft and "of" not in draft.split("Draft", 1)[1]


def test_a_sequence_shows_the_share_of_its_leads_through_it(client_a, org_a, account_a):
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(status=Campaign.Status.ACTIVE)
    for n, state in enumerate(["active", "completed", "stopped", "active"]):
        lead = Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@example.com")
        Enrollment.objects.create(
            organization=org_a,
            campaign=sequence,
            lead=lead,
            state=state,
            started_at=timezone.now(),
        )
    row = row_of(client_a.get(LIST).content.decode(), "Nurture")
    assert "2 of 4 leads through" in row and "width: 50.0%" in row


@pytest.mark.parametrize("campaigns", [2, 8])
def test_the_list_costs_the_same_queries_for_two_campaigns_or_eight(
    client_a, org_a, account_a, campaigns
):
    for n in range(campaigns):
        sent_blast(org_a, account_a, f"Blast {n}", ["sent", "queued"])
    with CaptureQueriesContext(connection) as queries:
        assert client_a.get(LIST).status_code == 200
    on_the_log = [q for q in queries.captured_queries if "campaigns_messagelog" in q["sql"]]
    assert len(on_the_log) == 1
    assert "GROUP BY" in on_the_log[0]["sql"]


def test_another_organizations_figures_stay_out_of_the_list(client_b, org_a, account_a):
    sent_blast(org_a, account_a, "Open house", ["sent"])
    assert "Open house" not in client_b.get(LIST).content.decode()
