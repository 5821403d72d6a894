"""Each agency follows its country's email rules: CAN-SPAM lets it email any lead until they
opt out; CASL's implied consent lasts six months after an enquiry and two years after a
purchase, express consent does not expire; GDPR/PECR needs consent or a soft opt-in (held
three years). Time is frozen at the edges of each window."""

import datetime
import zoneinfo

import pytest
import time_machine

from crm import consent
from crm.consent import CAN_SPAM, CASL, GDPR, regime_for
from crm.models import ConsentBasis, ConsentRecord, Lead, Organization

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def agency(country: str) -> Organization:
    return Organization.objects.create(
        name=f"Agency {country}",
        slug=f"agency-{country.lower()}",
        country=country,
        timezone="Europe/Paris",
        postal_address="1 Main St",
    )


def lead_with(organization, basis, given_on, email="lead@example.com") -> Lead:
    lead = Lead.objects.create(organization=organization, name="Lea", email=email)
    consent.consent_record(lead=lead, basis=basis, given_on=given_on, source="staff")
    return lead


def allowed(lead: Lead) -> bool:
    """Asked both ways: the lead's page (standing) and the audience's query must agree."""
    by_query = (
        not Lead.objects.filter(pk=lead.pk).filter(consent.not_allowed(lead.organization)).exists()
    )
    by_standing = consent.standing(lead).allowed
    assert by_query == by_standing
    return by_standing


def at(day: str, hour: int = 12):
    return time_machine.travel(
        datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=PARIS)
    )


def test_the_country_chooses_the_regime():
    assert regime_for("US") is CAN_SPAM
    assert regime_for("CA") is CASL
    assert regime_for("FR") is GDPR and regime_for("GB") is GDPR and regime_for("DE") is GDPR
    assert regime_for("JP") is GDPR  # elsewhere: the consent rules, the safer ones


@pytest.mark.django_db
@pytest.mark.parametrize("basis", ConsentBasis.values)
def test_can_spam_lets_any_lead_be_emailed_whatever_the_years(basis):
    lead = lead_with(agency("US"), basis, datetime.date(2015, 1, 1))
    with at("2026-06-01"):
        assert allowed(lead)


@pytest.mark.django_db
def test_casl_implied_consent_from_an_enquiry_lasts_six_months():
    lead = lead_with(agency("CA"), ConsentBasis.ENQUIRY, datetime.date(2026, 1, 15))
    with at("2026-07-15", hour=23):  # the six-month period before the day of sending
        assert allowed(lead)
    with at("2026-07-16", hour=0):
        assert not allowed(lead)
        assert consent.standing(lead).reason == "consent_expired"


@pytest.mark.django_db
def test_casl_implied_consent_from_a_purchase_lasts_two_years():
    lead = lead_with(agency("CA"), ConsentBasis.CLIENT, datetime.date(2024, 3, 10))
    with at("2026-03-10"):
        assert allowed(lead)
    with at("2026-03-11"):
        assert not allowed(lead)


@pytest.mark.django_db
def test_casl_express_consent_does_not_expire():
    lead = lead_with(agency("CA"), ConsentBasis.EXPRESS, datetime.date(2012, 5, 1))
    with at("2026-06-01"):
        assert allowed(lead)


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["CA", "FR"])
@pytest.mark.parametrize("basis", [ConsentBasis.PURCHASED, ConsentBasis.UNKNOWN])
def test_a_bought_list_or_no_record_is_no_consent(country, basis):
    lead = lead_with(agency(country), basis, datetime.date(2026, 5, 1))
    with at("2026-05-02"):
        assert not allowed(lead)
        assert consent.standing(lead).reason == "no_consent"


@pytest.mark.django_db
def test_an_enquiry_without_its_date_cannot_be_counted():
    lead = lead_with(agency("CA"), ConsentBasis.ENQUIRY, None)
    assert not allowed(lead)
    assert "no date on record" in consent.standing(lead).text


@pytest.mark.django_db
def test_gdpr_soft_opt_in_is_held_three_years_and_consent_for_good():
    organization = agency("FR")
    enquiry = lead_with(organization, ConsentBasis.ENQUIRY, datetime.date(2023, 2, 28), "e@x.fr")
    express = lead_with(organization, ConsentBasis.EXPRESS, datetime.date(2010, 1, 1), "x@x.fr")
    with at("2026-02-28"):
        assert allowed(enquiry) and allowed(express)
    with at("2026-03-01"):
        assert not allowed(enquiry) and allowed(express)


@pytest.mark.django_db
def test_a_window_ending_in_a_shorter_month_ends_on_its_last_day():
    lead = lead_with(agency("CA"), ConsentBasis.ENQUIRY, datetime.date(2025, 8, 31))
    with at("2026-02-28"):
        assert allowed(lead)
        assert consent.standing(lead).expires_on == datetime.date(2026, 2, 28)
    with at("2026-03-01"):
        assert not allowed(lead)


@pytest.mark.django_db
def test_the_window_is_counted_in_the_agencys_days():
    lead = lead_with(agency("CA"), ConsentBasis.ENQUIRY, datetime.date(2026, 1, 15))
    # 23:30 UTC on July 15 is already July 16 in Paris, the agency's zone.
    with time_machine.travel(datetime.datetime(2026, 7, 15, 23, 30, tzinfo=datetime.UTC)):
        assert not allowed(lead)


@pytest.mark.django_db
def test_every_record_is_kept_and_the_latest_is_the_leads_basis():
    organization = agency("CA")
    lead = lead_with(organization, ConsentBasis.ENQUIRY, datetime.date(2025, 1, 1))
    consent.consent_record(
        lead=lead,
        basis=ConsentBasis.EXPRESS,
        given_on=datetime.date(2026, 4, 2),
        source=ConsentRecord.Source.FORM,
        source_detail="https://agency.example/contact",
        wording="Yes, send me new listings by email.",
    )
    lead.refresh_from_db()
    assert (lead.consent_basis, lead.consent_date) == (
        ConsentBasis.EXPRESS,
        datetime.date(2026, 4, 2),
    )
    history = list(lead.consent_records.values_list("basis", flat=True))
    assert history == [ConsentBasis.EXPRESS, ConsentBasis.ENQUIRY]
