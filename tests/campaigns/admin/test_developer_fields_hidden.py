"""Staff read a message as an email, not as a database row: no ids, claim times, provider
ids, link lists or HTML source; the rendered email shows in a frame that runs nothing.
The superuser keeps the technical details."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Enrollment, MessageLog
from tests.conftest import make_sequence

HTML = '<p>Hello <a href="https://agency.example/visit">visit</a></p><script>alert(1)</script>'
TECHNICAL = ["Provider message id", "Claimed at", "Thread id", "Message id", "Links", "Body html"]


@pytest.fixture
def sent(message_a):
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.SENT,
        sent_at=timezone.now(),
        claimed_at=timezone.now(),
        provider_message_id="gmail-18c2f",
        thread_id="thread-18c2f",
        links=["https://agency.example/visit"],
        body_html=HTML,
    )
    return message_a


def message_page(client, message):
    url = reverse("admin:campaigns_messagelog_change", args=[message.pk])
    return client.get(url).content.decode()


def shown(page):
    """The page's text as a reader sees it (attributes, such as links' addresses, apart)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def labels(page):
    return set(re.findall(r"<label[^>]*>\s*([^<]+?)\s*:?\s*</label>", page))


def test_staff_read_a_message_without_its_developer_fields(client_a, sent):
    page = message_page(client_a, sent)
    assert not labels(page) & {*TECHNICAL, "Id"}
    text = shown(page)
    for value in (str(sent.pk), "gmail-18c2f", "thread-18c2f", "<p>Hello", "['https://"):
        assert value not in text, value
    assert {"Campaign", "Lead", "Subject", "Status", "Sent at"} <= labels(page)


def test_the_email_shows_in_a_frame_that_runs_nothing(client_a, sent):
    page = message_page(client_a, sent)
    frame = re.search(r'<iframe sandbox="" srcdoc="([^"]*)"', page)
    assert frame, "the rendered email is in a sandboxed frame"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frame.group(1)
    assert "<script>alert(1)" not in page


def test_the_superuser_still_finds_the_technical_details(admin_client_root, sent):
    page = message_page(admin_client_root, sent)
    assert set(TECHNICAL) <= labels(page)
    assert "gmail-18c2f" in page and str(sent.pk) in page


def test_enrollments_name_the_next_step_not_a_next_order(client_a, org_a, account_a, lead_a):
    sequence = make_sequence(org_a, account_a)
    enrollment = Enrollment.objects.create(
        organization=org_a, campaign=sequence, lead=lead_a, started_at=timezone.now(), next_order=2
    )
    for url in (
        reverse("admin:campaigns_enrollment_changelist"),
        reverse("admin:campaigns_enrollment_change", args=[enrollment.pk]),
        reverse("admin:crm_lead_change", args=[lead_a.pk]),
    ):
        page = client_a.get(url).content.decode()
        assert "Next order" not in page and "Step 2" in page, url
        assert str(enrollment.pk) not in shown(page), url
