"""Staff pick an A/B test's winner by hand on the campaign page, before the test decides: a
GET asks and changes nothing, the POST (with Django's CSRF token) sends that subject to the
rest at once. Only staff of the campaign's agency can; a test is decided once."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from campaigns.ab_tests import variants
from campaigns.models import AbTest, Campaign, MessageLog
from campaigns.outbox import claims
from tests.conftest import ab_blast


def pick_url(campaign: Campaign, variant: str) -> str:
    return reverse("admin:campaigns_campaign_ab_winner", args=[campaign.pk]) + f"?variant={variant}"


@pytest.fixture
def testing(campaign_a) -> Campaign:
    """Spring A launched with subjects A and B: 5 leads each in the test, 10 held."""
    ab_blast(campaign_a, leads=20, share=50)
    return campaign_a


def held(campaign: Campaign) -> int:
    return MessageLog.objects.filter(campaign=campaign, ab_group="held").count()


def notes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_get_asks_and_the_post_sends_the_chosen_subject_to_the_rest(client_a, staff_a, testing):
    page = client_a.get(pick_url(testing, "B"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="confirm-form"' in text and "Send subject B to the rest?" in text
    assert "Subject B (“B: ‹full name›”) goes to the 10 leads who" in text
    assert AbTest.objects.get(campaign=testing).decided_at is None and held(testing) == 10

    response = client_a.post(pick_url(testing, "B"))
    assert response.status_code == 302
    assert notes(response) == ["Subject B goes to the rest."]
    test = AbTest.objects.get(campaign=testing)
    assert (test.winner, test.chosen_by) == ("B", staff_a)
    assert test.outcome == "alice chose B; it is sent to the rest (no result yet)."
    rest = MessageLog.objects.filter(campaign=testing, ab_group="rest")
    assert rest.count() == 10 and set(rest.values_list("variant", flat=True)) == {"B"}


def test_a_post_without_the_csrf_token_picks_nothing(staff_a, testing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    assert client.post(pick_url(testing, "B")).status_code == 403
    assert AbTest.objects.get(campaign=testing).decided_at is None and held(testing) == 10


def test_another_agencys_staff_cannot_pick_the_winner(client_b, testing):
    assert client_b.get(pick_url(testing, "B")).status_code == 404
    assert client_b.post(pick_url(testing, "B")).status_code == 404
    assert AbTest.objects.get(campaign=testing).decided_at is None and held(testing) == 10


def test_a_second_pick_is_refused_saying_what_was_decided(client_a, testing):
    client_a.get(client_a.post(pick_url(testing, "B"))["Location"])  # its note is read
    response = client_a.post(pick_url(testing, "A"))
    decided = variants.ALREADY_DECIDED.format(
        outcome="alice chose B; it is sent to the rest (no result yet)."
    )
    assert notes(response) == [decided]
    assert AbTest.objects.get(campaign=testing).winner == "B"


def test_a_subject_the_test_does_not_have_is_refused(client_a, testing):
    response = client_a.post(pick_url(testing, "E"))
    unknown = variants.UNKNOWN_VARIANT.format(variant="E", letters="A, B")
    assert notes(response) == [unknown]
    assert AbTest.objects.get(campaign=testing).decided_at is None and held(testing) == 10


def test_a_pick_while_paused_sends_nothing_until_the_resume(client_a, testing):
    testing.pause()
    client_a.post(pick_url(testing, "A"))
    assert AbTest.objects.get(campaign=testing).winner == "A" and held(testing) == 0
    assert claims.claim_for_account(testing.email_account).messages == []
    testing.resume()
    assert claims.claim_for_account(testing.email_account).messages != []
