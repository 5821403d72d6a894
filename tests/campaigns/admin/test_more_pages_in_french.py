"""Pages a French staff member reads in French: the lead import (its form and its preview),
the A/B subject test on the campaign page, the skipped messages' reasons and the message
log's headers, and a refused launch; none of the English words they replaced is left."""

import datetime
import html

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.audiences import audience
from campaigns.models import Campaign, MessageLog
from crm.models import StaffPreferences
from tests.conftest import ab_blast, logged_in, send_all, simulate_opens

MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
CSV = b"name,email,status\nAna,ana@example.com,new\nBen,ben@,hot\n"


@pytest.fixture
def client_fr(staff_a):
    """Alice, who chose French (her browser asks for English)."""
    StaffPreferences.objects.create(user=staff_a, language="fr")
    client = logged_in(staff_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    return client


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def reads_french(page: str, french: list[str], english: list[str]) -> None:
    assert [words for words in french if words not in page] == []
    assert [words for words in english if words in page] == []


def test_the_import_form_and_its_preview_read_french(client_fr, org_a):
    url = reverse("admin:crm_lead_import")
    reads_french(
        text_of(client_fr.get(url)),
        ["Envoyer un fichier", "Fichier CSV ou classeur Excel", "Aperçu de l'import"],
        [
            "Upload a file",
            "CSV file or Excel workbook",
            "Existing leads are matched",
            "Preview import",
        ],
    )
    upload = SimpleUploadedFile("leads.csv", CSV, "text/csv")
    response = client_fr.post(url, {"organization": org_a.pk, "file": upload}, follow=True)
    reads_french(
        text_of(response),
        [
            "Aperçu de leads.csv",
            "Lignes lues",
            "Où va chaque colonne",
            "Colonne du fichier",
            "Ignorer cette colonne",
            "Lu comme CSV, UTF-8, séparé par des virgules.",
            "« ben@ » n'est pas une adresse e-mail valide",
        ],
        [
            "is not a valid email address",
            "separated by commas",
            "Preview of",
            "Rows read",
            "Where each column goes",
            "Column of the file",
            "Goes to",
            "Skip this column",
            "Keep as a custom field",
        ],
    )


def test_the_suppression_list_import_reads_french(client_fr, org_a):
    url = reverse("admin:crm_suppressedaddress_import")
    reads_french(
        text_of(client_fr.get(url)),
        [
            "Importer des adresses dans la liste d'exclusion",
            "Envoyer un fichier CSV d'adresses",
            "Ajouter à la liste d'exclusion",
        ],
        [
            "Import addresses to the suppression list",
            "Upload a CSV file of addresses",
            "Addresses are matched in any case",
            "Add to the suppression list",
        ],
    )
    upload = SimpleUploadedFile("liste.csv", b"email\nana@example.com\nben@\n\n", "text/csv")
    page = text_of(client_fr.post(url, {"organization": org_a.pk, "file": upload}))
    reads_french(
        page,
        [
            "Ajoutées",
            "Lignes refusées",
            "« ben@ » n'est pas une adresse e-mail valide",
            "importé de liste.csv le",
            "Ces adresses ne recevront jamais",
        ],
        ["Added", "Rejected rows", "is not a valid email address", "imported from"],
    )
    empty = SimpleUploadedFile("vide.csv", b"name\nAna\n", "text/csv")
    page = text_of(client_fr.post(url, {"organization": org_a.pk, "file": empty}))
    reads_french(page, ["L'en-tête n'a pas de colonne d'e-mail"], ["The header has no email"])


def test_the_import_says_what_it_did_in_french(client_fr, org_a):
    url = reverse("admin:crm_lead_import")
    upload = SimpleUploadedFile("leads.csv", CSV, "text/csv")
    job = client_fr.post(url, {"organization": org_a.pk, "file": upload})["Location"]
    done = client_fr.post(job, {"confirm": "1"}, follow=True)
    said = [str(note) for note in done.context["messages"]]
    assert said[0].startswith("2 lignes importées : 1 nouvelles"), said
    assert "n'a pas été importée" in said[1] and "not imported" not in said[1]


def test_the_ab_test_reads_french(client_fr, campaign_a, sandbox_account):
    with time_machine.travel(MONDAY_9AM, tick=False):
        ab_blast(campaign_a, leads=20, share=50)
        send_all(sandbox_account)
        simulate_opens(campaign_a, {"A": 1, "B": 4})
        page = text_of(
            client_fr.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
        )
    reads_french(
        page,
        ["Test A/B", "de l'audience", "ouvertures uniques", "Le reste", "au reste…"],
        ["A/B subject test", "of the audience", "unique opens", "The rest", "to the rest…"],
    )


def test_a_skipped_message_and_the_message_log_read_french(client_fr, campaign_a, lead_a):
    message = MessageLog.objects.create(
        organization=campaign_a.organization,
        campaign=campaign_a,
        lead=lead_a,
        status=MessageLog.Status.SKIPPED,
        error_message=audience.SKIPPED_UNSUBSCRIBED,
    )
    listing = text_of(client_fr.get(reverse("admin:campaigns_messagelog_changelist")))
    reads_french(listing, ["Détail", "Le prospect a refusé les e-mails"], ["Detail", "opted out"])
    detail = text_of(client_fr.get(reverse("admin:campaigns_messagelog_change", args=[message.pk])))
    reads_french(detail, ["Pourquoi", "non envoyé"], ["Why", "The lead opted out"])


def test_a_refused_launch_reads_french(client_fr, org_a, lead_a):
    campaign = Campaign.objects.create(organization=org_a, name="Sans étape")
    response = client_fr.get(reverse("admin:campaigns_campaign_launch", args=[campaign.pk]))
    said = [str(note) for note in get_messages(response.wsgi_request)]
    assert said == ["Ajoutez une étape (objet et corps) avant de lancer."]
