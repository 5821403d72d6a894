"""Every count of the campaign page leads to the messages it counts: who was sent, opened,
clicked (which link), replied, failed (and why) or was skipped (each reason named for what
it is: opted out is not suppressed)."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from campaigns.audiences import audience
from campaigns.models import Campaign, LinkClick, MessageLog
from campaigns.outbox import failures
from crm.models import Lead, SuppressedAddress
from crm.suppression import suppress
from tests.conftest import launch_to_leads

Status = MessageLog.Status
INVALID_TO = "Invalid To header"


@pytest.fixture
def results(campaign_a, org_a):
    """Spring A sent to 8 leads: 3 opened (1 clicked the listings link, 1 replied), 1
    failed; 1 lead had opted out, 2 addresses were on the suppression list."""
    launch_to_leads(campaign_a, 8)
    Lead.objects.filter(email="lead0@example.com").update(unsubscribed_at=timezone.now())
    for n in (1, 2):
        suppress(organization=org_a, email=f"lead{n}@example.com", reason="bounced")
    messages = {m.to_email: m for m in MessageLog.objects.filter(campaign=campaign_a)}
    now = timezone.now()
    skipped = audience.skip_texts(campaign_a)
    MessageLog.objects.filter(pk=messages["lead0@example.com"].pk).update(
        status=Status.SKIPPED, error_message=skipped["opted_out"]
    )
    MessageLog.objects.filter(to_email__in=["lead1@example.com", "lead2@example.com"]).update(
        status=Status.SKIPPED, error_message=skipped["suppressed"]
    )
    MessageLog.objects.filter(to_email="lead3@example.com").update(
        status=Status.FAILED, error_message=INVALID_TO
    )
    opened = ["lead4@example.com", "lead5@example.com", "lead6@example.com"]
    MessageLog.objects.filter(to_email__in=opened).update(
        status=Status.OPENED, sent_at=now, opened_at=now
    )
    MessageLog.objects.filter(to_email="lead7@example.com").update(status=Status.SENT, sent_at=now)
    clicker = messages["lead4@example.com"]
    MessageLog.objects.filter(pk=clicker.pk).update(status=Status.CLICKED, clicked_at=now)
    LinkClick.objects.create(
        message=clicker, campaign=campaign_a, url="https://agency.example/listings", clicked_at=now
    )
    MessageLog.objects.filter(to_email="lead5@example.com").update(
        status=Status.REPLIED, replied_at=now
    )
    Campaign.objects.filter(pk=campaign_a.pk).update(track_clicks=True, track_opens=True)
    return campaign_a


def page_of(client, campaign) -> str:
    return client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()


def href(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return unescape(found.group(1))


def listed(client, url: str) -> set[str]:
    """The addresses the message log shows at this link."""
    page = client.get(url)
    assert page.status_code == 200, url
    return set(re.findall(r"lead\d@example\.com", page.content.decode()))


def test_the_delivery_counts_lead_to_their_messages(client_a, results):
    html = page_of(client_a, results)
    sent = href(html, r'<a href="([^"]+)"[^>]*>Sent <strong data-live="sent">4</strong>')
    assert listed(client_a, sent) == {f"lead{n}@example.com" for n in range(4, 8)}
    failed = href(html, r'<a href="([^"]+)"[^>]*>Failed <strong')
    assert listed(client_a, failed) == {"lead3@example.com"}
    skipped = href(html, r'<a href="([^"]+)"[^>]*>Skipped <strong data-live="skipped">3</strong>')
    assert listed(client_a, skipped) == {
        "lead0@example.com",
        "lead1@example.com",
        "lead2@example.com",
    }


def test_skipped_leads_are_named_for_what_they_are(client_a, results):
    html = page_of(client_a, results)
    reason = (
        r'<a class="text-primary-600 count-link" href="([^"]+)"><span data-field="count">{}'
        r'</span> <span data-field="words">{}</span></a>'
    )
    opted = href(html, reason.format(1, "opted out"))
    suppressed = href(html, reason.format(2, "on the suppression list"))
    assert listed(client_a, opted) == {"lead0@example.com"}
    assert listed(client_a, suppressed) == {"lead1@example.com", "lead2@example.com"}


def test_each_steps_counts_lead_to_who_opened_clicked_and_replied(client_a, results):
    html = page_of(client_a, results)
    row = html.split('id="step-funnel"')[1].split("</table>")[0]
    opened = href(row, r'data-label="Opened"><a class="count-link" href="([^"]+)"')
    assert listed(client_a, opened) == {
        "lead4@example.com",
        "lead5@example.com",
        "lead6@example.com",
    }
    clicked = href(row, r'data-label="Clicked"><a class="count-link" href="([^"]+)"')
    assert listed(client_a, clicked) == {"lead4@example.com"}
    replied = href(row, r'data-label="Replied"><a class="count-link" href="([^"]+)"')
    assert listed(client_a, replied) == {"lead5@example.com"}


def test_who_clicked_which_link_and_who_failed_why(client_a, results):
    html = page_of(client_a, results)
    clicks = html.split('id="link-clicks"')[1].split("</table>")[0]
    who = href(clicks, r'data-label="Clicks"><a class="count-link" href="([^"]+)"')
    assert listed(client_a, who) == {"lead4@example.com"}
    reasons = html.split('id="failure-reasons"')[1].split("</table>")[0]
    why = href(reasons, r'<a class="count-link" href="([^"]+)">1</a>')
    answer = client_a.get(why).content.decode()
    assert set(re.findall(r"lead\d@example\.com", answer)) == {"lead3@example.com"}
    assert escape(failures.in_words(INVALID_TO)) in answer  # the filter names the reason


def test_a_step_of_another_agency_names_nothing(client_a, campaign_b):
    step = campaign_b.steps.get()
    url = reverse("admin:campaigns_messagelog_changelist") + f"?step={step.pk}"
    page = client_a.get(url).content.decode()
    assert "Hi B" not in page
    assert (
        client_a.get(reverse("admin:campaigns_messagelog_changelist") + "?step=nope").status_code
        == 200
    )


def test_suppressed_is_not_called_opted_out(org_a, campaign_a, lead_a):
    suppress(organization=org_a, email=lead_a.email, reason="bounced")
    assert audience.reason_not_to_send(lead_a, campaign_a) == audience.SKIPPED_SUPPRESSED
    assert SuppressedAddress.objects.count() == 1
    Lead.objects.filter(pk=lead_a.pk).update(unsubscribed_at=timezone.now())
    lead_a.refresh_from_db()
    assert audience.reason_not_to_send(lead_a, campaign_a) == audience.SKIPPED_UNSUBSCRIBED
