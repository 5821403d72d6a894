"""A campaign that names no status never emails clients or lost leads (a CRM's Closed,
Past Client or Trash); an audience may ask for tags and custom fields, in any case."""

import zoneinfo

import pytest

from campaigns.audiences import audience
from campaigns.audiences.audience import AudienceError, apply_filter, clean_filter
from campaigns.models import Campaign
from crm.models import Lead, Tag

UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture
def leads(org_a, org_b):
    buyer = Tag.objects.create(organization=org_a, name="Buyer")
    vip = Tag.objects.create(organization=org_a, name="VIP")
    made = {}
    for name, status, tags, custom in [
        ("Ana", "new", [buyer], {"neighborhood": "Echo Park"}),
        ("Ben", "qualified", [vip, buyer], {"neighborhood": "echo park"}),
        ("Cid", "client", [buyer], {"neighborhood": "Echo Park"}),
        ("Dee", "lost", [], {}),
        ("Eve", "contacted", [], {"neighborhood": "Silver Lake"}),
    ]:
        lead = Lead.objects.create(
            organization=org_a,
            first_name=name,
            email=f"{name.lower()}@example.com",
            status=status,
            custom=custom,
        )
        lead.tags.set(tags)
        made[name] = lead
    other = Lead.objects.create(organization=org_b, first_name="Zed", email="zed@example.com")
    other.tags.set([Tag.objects.create(organization=org_b, name="Buyer")])
    return made


def names(queryset) -> list[str]:
    return sorted(queryset.values_list("first_name", flat=True))


def test_a_campaign_naming_no_status_reaches_everyone_but_clients_and_lost_leads(leads, org_a):
    campaign = Campaign.objects.create(organization=org_a, name="Spring")
    assert names(audience.audience_of(campaign)) == ["Ana", "Ben", "Eve"]
    campaign.audience_filter = {"status": ["client", "lost"]}
    assert names(audience.audience_of(campaign)) == ["Cid", "Dee"]


def test_tags_and_custom_fields_choose_the_audience_in_any_case(leads, org_a):
    everyone = Lead.objects.filter(organization=org_a)
    chosen = apply_filter(everyone, clean_filter({"tags": "buyer"}), UTC)
    assert names(chosen) == ["Ana", "Ben"]  # Cid is a client
    chosen = apply_filter(everyone, clean_filter({"tags": ["vip", "nobody"]}), UTC)
    assert names(chosen) == ["Ben"]
    custom = clean_filter({"custom": "neighborhood = ECHO PARK"})
    assert custom == {"custom": {"neighborhood": "ECHO PARK"}}
    assert names(apply_filter(everyone, custom, UTC)) == ["Ana", "Ben"]
    both = clean_filter({"custom": {"neighborhood": "echo park"}, "tags": "vip"})
    assert names(apply_filter(everyone, both, UTC)) == ["Ben"]


@pytest.mark.parametrize(
    "raw",
    [{"custom": "neighborhood"}, {"custom": {"Bad Key": "x"}}, {"custom": {"a__b": "x"}}],
)
def test_a_custom_field_filter_that_cannot_be_read_is_refused(raw):
    with pytest.raises(AudienceError, match="custom: write each field as key = value"):
        clean_filter(raw)


def test_the_campaign_form_edits_tags_and_custom_fields_and_says_who_is_left_out(
    client_a, org_a, account_a
):
    from django.urls import reverse

    page = client_a.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert "None ticked: every lead but clients and lost leads" in page
    data = {
        "name": "Echo Park buyers",
        "type": "blast",
        "email_account": account_a.pk,
        "audience": "filter",
        "filter_tags": "Buyer, VIP",
        "filter_custom": "neighborhood = Echo Park",
        "window_start": "09:00",
        "window_end": "18:00",
        "thread_follow_ups": "on",
        "auto_reply_hold_days": 7,
        "ab_share": 20,
        "ab_wait_hours": 4,
        "ab_measure": "opens",
        "alert_price_drop": 5,
        "steps-TOTAL_FORMS": 0,
        "steps-INITIAL_FORMS": 0,
    }
    response = client_a.post(reverse("admin:campaigns_campaign_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(name="Echo Park buyers")
    assert campaign.audience_filter == {
        "tags": ["Buyer", "VIP"],
        "custom": {"neighborhood": "Echo Park"},
    }
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    text = page.content.decode()
    assert 'value="Buyer, VIP"' in text and 'value="neighborhood = Echo Park"' in text
