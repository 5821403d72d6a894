"""The lead page answers the privacy questions: may we email them and on what evidence
(recorded with the words they were shown), everything held about them in one download,
and *Forget this lead*, which erases them and keeps only a hash of their address so that
nothing can email them again."""

import datetime
import json

from django.urls import reverse

from campaigns.launching import blasts
from campaigns.models import MessageLog
from campaigns.outbox import claims
from crm import consent
from crm.importing.lead_import import leads_import
from crm.models import ConsentBasis, ConsentRecord, Lead, SuppressedAddress
from crm.suppression import address_hashes, is_suppressed


def page_of(lead) -> str:
    return reverse("admin:crm_lead_change", args=[lead.pk])


def action_url(lead, name: str) -> str:
    return reverse(f"admin:crm_lead_{name}", args=[lead.pk])


def test_staff_record_consent_with_its_words_and_the_page_shows_the_history(client_a, lead_a):
    response = client_a.post(
        action_url(lead_a, "record_consent"),
        {
            "basis": ConsentBasis.EXPRESS,
            "given_on": "2026-03-02",
            "source_detail": "https://sunset.example/contact",
            "wording": "Yes, email me new listings in Pasadena.",
        },
    )
    assert response.status_code == 302
    record = ConsentRecord.objects.get(lead=lead_a)
    assert record.recorded_by.username == "alice" and record.source == ConsentRecord.Source.STAFF
    page = client_a.get(page_of(lead_a)).content.decode()
    assert 'id="consent-history"' in page and "Yes, email me new listings in Pasadena." in page
    assert 'data-allowed="yes"' in page
    assert 'data-kind="consent"' in page  # on the timeline too


def test_a_timed_basis_needs_its_date_where_the_rules_count_it(client_a, org_a, lead_a):
    org_a.country = "CA"
    org_a.save()
    response = client_a.post(action_url(lead_a, "record_consent"), {"basis": "enquiry"})
    assert response.status_code == 200
    assert "CASL (Canada) counts this basis from its date" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_the_lead_page_says_when_consent_expired(client_a, org_a, lead_a):
    org_a.country = "CA"
    org_a.save()
    consent.consent_record(
        lead=lead_a, basis="enquiry", given_on=datetime.date(2020, 1, 1), source="import"
    )
    page = client_a.get(page_of(lead_a)).content.decode()
    assert 'data-allowed="no"' in page and "expired after 2020-07-01" in page


def test_the_consent_fields_change_only_through_a_record(client_a, lead_a):
    page = client_a.get(page_of(lead_a)).content.decode()
    assert 'name="consent_basis"' not in page  # read-only on the form


def test_their_data_downloads_in_one_click_with_the_consent_history(client_a, campaign_a, lead_a):
    consent.consent_record(
        lead=lead_a,
        basis="express",
        given_on=datetime.date(2026, 1, 5),
        source="form",
        source_detail="https://sunset.example/contact",
        wording="Send me listings.",
    )
    blasts.campaign_launch(campaign=campaign_a)
    response = client_a.get(action_url(lead_a, "export_data"))
    assert response["Content-Disposition"] == 'attachment; filename="ana-souza-data.json"'
    data = json.loads(response.content)
    assert data["lead"]["email"] == "ana@example.com"
    assert data["consent_history"][0]["wording"] == "Send me listings."
    assert data["consent_history"][0]["source_detail"] == "https://sunset.example/contact"
    assert data["messages"][0]["campaign__name"] == "Spring A"


def test_another_agencys_staff_cannot_read_or_forget_the_lead(client_b, lead_a):
    assert client_b.get(action_url(lead_a, "export_data")).status_code in (302, 404)
    client_b.post(action_url(lead_a, "forget"))
    assert Lead.objects.filter(pk=lead_a.pk).exists()


def test_forgetting_asks_first_and_a_get_erases_nothing(client_a, lead_a):
    page = client_a.get(action_url(lead_a, "forget")).content.decode()
    assert "Forget Ana Souza?" in page and 'id="confirm-form"' in page
    assert Lead.objects.filter(pk=lead_a.pk).exists()


def test_a_forgotten_lead_is_erased_and_only_a_hash_of_the_address_is_kept(
    client_a, org_a, campaign_a, lead_a
):
    from crm.suppression import suppress

    suppress(organization=org_a, email="ana@example.com", reason="unsubscribed")
    blasts.campaign_launch(campaign=campaign_a)
    response = client_a.post(action_url(lead_a, "forget"))
    assert response.status_code == 302
    assert not Lead.objects.filter(pk=lead_a.pk).exists()
    assert not MessageLog.objects.filter(to_email="ana@example.com").exists()
    entry = SuppressedAddress.objects.get(organization=org_a)
    assert entry.email == "" and entry.reason == SuppressedAddress.Reason.FORGOTTEN
    assert entry.email_hash == address_hashes("ana@example.com")[0]
    assert "ana" not in entry.email_hash
    assert is_suppressed(org_a.pk, " ANA@example.com")


def test_a_later_import_cannot_email_a_forgotten_lead(org_a, campaign_a, lead_a):
    from crm.erasure import lead_forget

    lead_forget(lead=lead_a)
    report = leads_import(
        organization=org_a, data=b"name,email\nAna Souza,Ana@Example.com\nBen,ben@example.com\n"
    )
    assert report.created == 2 and "1 of the new leads were erased earlier" in report.summary()
    again = Lead.objects.get(email="Ana@Example.com")
    assert again.unsubscribed_at is not None
    assert Lead.objects.get(email="ben@example.com").unsubscribed_at is None
    dispatch = blasts.campaign_launch(campaign=campaign_a)
    assert (dispatch.total, dispatch.skipped) == (2, 1)


def test_a_forgotten_address_added_again_by_hand_is_kept_opted_out(client_a, org_a, lead_a):
    from crm.erasure import lead_forget

    lead_forget(lead=lead_a)
    response = client_a.post(
        reverse("admin:crm_lead_add"),
        {
            "organization": org_a.pk,
            "name": "Ana again",
            "email": "ana@example.com",
            "status": "new",
            "consent_basis": "unknown",
            "enrollments-TOTAL_FORMS": 0,
            "enrollments-INITIAL_FORMS": 0,
            "auto_replies-TOTAL_FORMS": 0,
            "auto_replies-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    assert "erased at their request" in response.content.decode()
    assert Lead.objects.get(email="ana@example.com").unsubscribed_at is not None


def test_even_a_lead_made_past_every_form_is_skipped_at_its_claim(org_a, campaign_a, lead_a):
    from crm.erasure import lead_forget

    lead_forget(lead=lead_a)
    # Made without the import or the admin: the audience's query cannot read hashes, so
    # the launch queues the message, and the claim checks the address itself.
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    assert blasts.campaign_launch(campaign=campaign_a).skipped == 0
    claim = claims.claim_for_account(campaign_a.email_account)
    assert claim.messages == []
    assert MessageLog.objects.get().status == MessageLog.Status.SKIPPED


def test_the_export_of_leads_carries_their_consent(lead_a):
    from crm.resources import LeadResource

    consent.consent_record(
        lead=lead_a, basis="client", given_on=datetime.date(2025, 5, 1), source="staff"
    )
    row = LeadResource().export(Lead.objects.filter(pk=lead_a.pk)).dict[0]
    assert (row["consent_basis"], str(row["consent_date"])) == ("client", "2025-05-01")


def test_the_lead_list_filters_by_consent_under_each_agencys_rules(client_a, org_a, lead_a):
    org_a.country = "CA"
    org_a.save()
    consent.consent_record(
        lead=lead_a, basis="enquiry", given_on=datetime.date(2020, 1, 1), source="import"
    )
    fresh = Lead.objects.create(organization=org_a, name="Fresh", email="fresh@example.com")
    consent.consent_record(lead=fresh, basis="express", given_on=None, source="staff")
    Lead.objects.create(organization=org_a, name="None", email="none@example.com")

    def listed(value: str) -> set[str]:
        url = reverse("admin:crm_lead_changelist") + f"?consent={value}"
        page = client_a.get(url).content.decode()
        return {email for email in ("ana", "fresh", "none") if f"{email}@example.com" in page}

    assert listed("consent_expired") == {"ana"}
    assert listed("no_consent") == {"none"}
    assert listed("allowed") == {"fresh"}
