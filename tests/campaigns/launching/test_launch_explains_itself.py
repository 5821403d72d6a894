"""Launching explains itself: an empty audience disables Launch now and says why before
the click; a second launch (another tab, Back, a double submit) lands on the campaign page
saying when and by whom it was launched, never on a bare 403."""

import zoneinfo

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from campaigns.admin.pages import ALL_OPTED_OUT_ONE, NOBODY_MATCHES
from campaigns.models import Campaign, MessageLog
from crm.models import Lead
from crm.site.timezones import spoken_time
from tests.conftest import make_sequence

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def launch_url(campaign: Campaign) -> str:
    return reverse("admin:campaigns_campaign_launch", args=[campaign.pk])


def notes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def launched_note(campaign: Campaign, verb: str = "launched") -> str:
    campaign.refresh_from_db()
    with timezone.override(LA):
        return f"Already {verb} {spoken_time(campaign.launched_at)} by alice."


def test_an_empty_audience_disables_launch_now_and_says_why(client_a, campaign_a):
    campaign_a.audience_filter = {"city": "Nowhere"}
    campaign_a.save()
    html = client_a.get(launch_url(campaign_a)).content.decode()
    assert escape(str(NOBODY_MATCHES)) in html
    button = html[html.rindex("<button", 0, html.index('id="launch-now"')) :]
    button = button[: button.index(">")]
    assert " disabled" in button and 'aria-describedby="launch-blocked"' in button
    change = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    assert 'id="audience-empty"' in change.content.decode()

    response = client_a.post(launch_url(campaign_a))  # a forced submit changes nothing
    assert response.status_code == 200 and escape(str(NOBODY_MATCHES)) in response.content.decode()
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.DRAFT and not MessageLog.objects.exists()


def test_an_audience_that_all_opted_out_says_so(client_a, campaign_a, lead_a):
    Lead.objects.filter(pk=lead_a.pk).update(unsubscribed_at=timezone.now())
    html = client_a.get(launch_url(campaign_a)).content.decode()
    assert str(ALL_OPTED_OUT_ONE) in html
    client_a.post(launch_url(campaign_a))
    assert not MessageLog.objects.exists()


def test_a_sequence_that_enrols_later_leads_may_start_empty(client_a, org_a, account_a):
    sequence = make_sequence(org_a, account_a)
    sequence.enroll_new_leads = True
    sequence.save()
    html = client_a.get(launch_url(sequence)).content.decode()
    assert escape(str(NOBODY_MATCHES)) not in html and 'id="launch-waits"' in html
    client_a.post(launch_url(sequence))
    assert Campaign.objects.get(pk=sequence.pk).status == Campaign.Status.ACTIVE


def test_a_second_launch_lands_on_the_campaign_saying_who_launched_it(
    client_a, campaign_a, lead_a, staff_a
):
    first = client_a.post(launch_url(campaign_a), follow=True)
    assert notes(first)[0].startswith("Launched: 1 message queued.")
    campaign_a.refresh_from_db()
    assert campaign_a.launched_by == staff_a

    for second in (
        client_a.post(launch_url(campaign_a), follow=True),
        client_a.get(launch_url(campaign_a), follow=True),
    ):
        assert second.status_code == 200
        assert second.redirect_chain[-1][0] == reverse(
            "admin:campaigns_campaign_change", args=[campaign_a.pk]
        )
        assert notes(second) == [launched_note(campaign_a)]
    assert MessageLog.objects.count() == 1


def test_a_second_activation_of_a_sequence_says_who_activated_it(client_a, org_a, account_a):
    sequence = make_sequence(org_a, account_a)
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    client_a.post(launch_url(sequence), follow=True)
    again = client_a.post(launch_url(sequence), follow=True)
    assert notes(again) == [launched_note(sequence, "activated")]


def test_a_duplicate_forgets_who_launched_the_original(client_a, campaign_a, lead_a):
    client_a.post(launch_url(campaign_a))
    campaign_a.refresh_from_db()
    copy = campaign_a.duplicate()
    assert (copy.launched_at, copy.launched_by) == (None, None)
