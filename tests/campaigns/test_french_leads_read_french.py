"""No English word of ours reaches a French lead: every step of the demo's Paris campaigns,
as previewed, as test-sent, as claimed, and every page a lead can reach from them (the
unsubscribe and preference page, the test message's page, a link we cannot read), checked
against the English texts of ours that a lead can meet."""

import email
import html
import re
from email import policy
from io import StringIO

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from campaigns.listing_alerts import triggers
from campaigns.models import Campaign, EmailAccount, ListingAlert, MessageLog
from campaigns.outbox import sending
from crm.models import Lead, Organization

# Where the texts a lead can meet are written: their msgids are "our English strings".
LEAD_FACING = (
    "campaigns/content/",
    "campaigns/events/views.py",
    "campaigns/templates/campaigns/",
    "crm/site/error_pages.py",
    "crm/templates/errors/",
)
# And what we wrote by hand before the catalogues, in case one slips out of them again.
BY_HAND = [
    "Unsubscribe",
    "bedroom",
    "bathroom",
    "sq ft",
    "Price on request",
    "Price drop",
    "See the listing",
    "[Test]",
    "You receive this email",
    "Email preferences",
    "campaign emails",
    "This was a test",
    "Link not recognised",
    "$",
]
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>")
_TAG = re.compile(r"<[^>]+>")


def english_strings() -> list[str]:
    """The English pieces of our lead-facing msgids that French does not share: "Price
    drop: was" from "Price drop: was %(price)s", not "message" (French says it too)."""
    po = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    with po.open("rb") as file:
        catalog = read_po(file)
    found = set(BY_HAND)
    for message in catalog:
        if not message.id or not any(path.startswith(LEAD_FACING) for path, _ in message.locations):
            continue
        ids = [
            str(text) for text in (message.id if isinstance(message.id, tuple) else [message.id])
        ]
        strings = message.string if isinstance(message.string, tuple) else [message.string]
        french = " ".join(str(text) for text in strings)
        for text in ids:
            for piece in _PLACEHOLDER.split(text):
                piece = piece.strip(" .,:;?!“”'\"\n")
                words = re.findall(r"[A-Za-z]+", piece)
                if (len(words) >= 2 or len(piece) >= 6) and piece not in french:
                    found.add(piece)
    return sorted(found)


ENGLISH = english_strings()


def english_in(where: str, text: str) -> list[str]:
    shown = html.unescape(_TAG.sub(" ", text))
    return [
        f"{where}: “{piece}”"
        for piece in ENGLISH
        if re.search(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", shown)
    ]


@pytest.fixture
def paris(db, settings, tmp_path) -> Organization:
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    call_command("load_demo", "--force", stdout=StringIO())
    return Organization.objects.get(slug="maison-lumiere")


def test_the_list_of_our_english_strings_holds_the_footer_card_and_pages():
    for piece in ("Price drop: was", "You receive this email because you are in touch with"):
        assert piece in ENGLISH
    assert "Stop receiving campaign emails from" in ENGLISH and "message" not in ENGLISH


def test_every_step_of_the_paris_campaigns_reads_french_everywhere(paris, tmp_path):
    account = EmailAccount.objects.get(organization=paris)
    leads = Lead.objects.filter(organization=paris, unsubscribed_at__isnull=True)
    with_home = leads.filter(property__isnull=False).first()
    without = leads.filter(property__isnull=True).first()
    assert with_home and without
    campaigns = Campaign.objects.filter(organization=paris)
    assert {campaign.type for campaign in campaigns} == {"blast", "sequence", "listing_alert"}
    found, checked = [], 0
    for campaign in campaigns:
        for step in campaign.steps.all():
            for lead in (with_home, without):
                rendered = sending.render_for(step, lead, account)
                where = f"{campaign.name} step {step.order} for {lead.email}"
                for part in (rendered.subject, rendered.html, rendered.text):
                    found += english_in(where, part)
                assert "Se désinscrire" in rendered.text
                checked += 1
            sending.test_send(step=step, lead=with_home, account=account, to_email="c@example.com")
    assert checked >= 12
    for path in tmp_path.rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["Subject"].startswith("[Essai] ")
        for body in (message.get_body(("plain",)), message.get_body(("html",))):
            assert body is not None
            found += english_in(f"test message {message['Subject']}", body.get_content())
    assert found == []


def test_the_messages_the_paris_agency_sent_and_its_alert_read_french(paris):
    alert = ListingAlert.objects.get(campaign__organization=paris)
    triggers.alert_send(alert=alert, user=None)
    queued = MessageLog.objects.filter(campaign=alert.blast).select_related("email_account")
    for message in queued[:5]:
        sending.render_claimed(message, message.email_account)
    sent = MessageLog.objects.filter(organization=paris).exclude(body_text="")
    assert sent.count() > 10
    found = []
    for message in sent:
        for part in (message.subject, message.body_html, message.body_text):
            found += english_in(f"message {message.pk}", part)
    assert found == []
    card = queued.exclude(body_text="").first().body_text
    assert "685\u202f000\xa0€" in card and "2 chambres · 1 salle de bain · 62\u202fm²" in card


def test_every_page_a_paris_lead_can_reach_reads_french(paris):
    account = EmailAccount.objects.get(organization=paris)
    sequence = Campaign.objects.get(organization=paris, type=Campaign.Type.SEQUENCE)
    step = sequence.steps.get(order=1)
    lead, other = Lead.objects.filter(organization=paris, unsubscribed_at__isnull=True)[:2]
    link = re.search(
        r"Se désinscrire : http://[^/]+(\S+)", sending.render_for(step, lead, account).text
    )
    test_link = re.search(
        r"Se désinscrire : http://[^/]+(\S+)",
        sending.render_for(step, lead, account, test=True).text,
    )
    other_link = re.search(
        r"Se désinscrire : http://[^/]+(\S+)", sending.render_for(step, other, account).text
    )
    french = {"accept-language": "fr-FR,fr;q=0.9"}
    pages = {
        "preference page": Client().get(link.group(1)),
        "a choice saved": Client().post(link.group(1), {"scope": "campaign"}),
        "a kind left": Client().post(link.group(1), {"scope": "kind"}),
        "one click": Client().post(
            other_link.group(1),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ),
        "unsubscribed already": Client().get(other_link.group(1)),
        "test message's page": Client().get(test_link.group(1)),
        "test message's button": Client().post(test_link.group(1), {"scope": "all"}),
        "a link we cannot read": Client().get("/u/not-a-token/", headers=french),
        "a tracking link we cannot read": Client().get("/t/c/not-a-token/", headers=french),
    }
    found = []
    for name, response in pages.items():
        page = response.content.decode()
        assert '<html lang="fr">' in page, name
        found += english_in(name, page)
    assert found == []
    assert "Votre choix est enregistré" in pages["a choice saved"].content.decode()
    assert "Votre désinscription est enregistrée" in pages["one click"].content.decode()
    assert "C'était un essai" in pages["test message's button"].content.decode()
