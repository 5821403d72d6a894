"""Who a campaign skips is named for what each is: opted out (the lead's own unsubscribe) is
not on the suppression list (a bounce, a list staff imported), on the draft campaign's page
and on the launch page, in one count each."""

from django.urls import reverse
from django.utils import timezone

from campaigns.audiences import audience
from crm.models import Lead
from crm.suppression import suppress


def leads(org, count):
    return [
        Lead.objects.create(organization=org, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(count)
    ]


def test_the_counts_name_each_reason_once(org_a, campaign_a):
    first, second, third, _ = leads(org_a, 4)
    Lead.objects.filter(pk=first.pk).update(unsubscribed_at=timezone.now())
    # Opted out and on the list too: counted once, under the first reason.
    for lead in (first, second, third):
        suppress(organization=org_a, email=lead.email, reason="bounced")
    counts = audience.skipped_counts(audience.audience_of(campaign_a), campaign_a)
    assert counts == {"opted_out": 1, "suppressed": 2}
    assert audience.skipped_in_words(counts) == "1 opted out, 2 on the suppression list"


def test_the_draft_and_the_launch_page_say_who_is_skipped_and_why(client_a, org_a, campaign_a):
    first, second, third, _ = leads(org_a, 4)
    Lead.objects.filter(pk=first.pk).update(unsubscribed_at=timezone.now())
    for lead in (second, third):
        suppress(organization=org_a, email=lead.email, reason="bounced")
    change = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    assert (
        'of which 3 will be skipped (<span id="audience-skipped">1 opted out, 2 on the '
        "suppression list</span>)"
    ) in change.content.decode()
    launch = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    assert (
        '<dt>Skipped</dt><dd id="plan-skipped">3 (1 opted out, 2 on the suppression list)</dd>'
    ) in launch.content.decode()
