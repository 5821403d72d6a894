"""A campaign may write in another language than its agency's: a Miami agency (English,
dollars) writing to its Spanish-speaking leads gets Spanish everywhere we write (the
footer, the listing card, the test marker, the unsubscribe page) and dollars as Miami's
Spanish writes them, in the preview, the live preview, the test send, render_step and
the message as claimed; its English campaigns stay English."""

import email
import re
from email import policy
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from campaigns.admin.forms import CampaignForm
from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from campaigns.outbox import sending
from crm.models import Lead, Organization, Property
from tests.conftest import make_staff

BODY = """<p>Hola {{ lead.first_name }}, gracias por escribirnos el
{{ lead.created_at | date_local("long") }}.</p>
{{ listing_card }}
<p>Su presupuesto: hasta {{ lead.budget_max | money }}.</p>"""


@pytest.fixture
def miami(db) -> Organization:
    return Organization.objects.create(
        name="Biscayne Homes",
        slug="biscayne",
        timezone="America/New_York",
        country="US",
        language="en",
        currency="USD",
        postal_address="100 Biscayne Blvd, Miami, FL 33132",
    )


@pytest.fixture
def account(miami, tmp_path, settings) -> EmailAccount:
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    return EmailAccount.objects.create(
        organization=miami,
        user=make_staff("marta", miami),
        email_address="marta@biscayne.example",
        display_name="Marta",
        provider=EmailAccount.Provider.SANDBOX,
    )


@pytest.fixture
def lead(miami) -> Lead:
    home = Property.objects.create(
        organization=miami,
        title="Condo frente a la bahía",
        city="Miami",
        price=420_000,
        bedrooms=3,
        bathrooms=2,
        area=1_450,
    )
    return Lead.objects.create(
        organization=miami,
        name="Lucía Gómez",
        email="lucia@example.com",
        budget_max=500_000,
        property=home,
    )


def campaign_in(miami, account, language: str) -> Campaign:
    campaign = Campaign.objects.create(
        organization=miami, name=f"Condos {language}", email_account=account, language=language
    )
    CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Su nuevo hogar en Miami", body_template=BODY
    )
    return campaign


def test_a_campaign_in_spanish_writes_spanish_and_dollars(miami, account, lead):
    step = campaign_in(miami, account, "es").steps.get()
    rendered = sending.render_for(step, lead, account)
    text = rendered.text
    assert "$420,000\n3 dormitorios · 2 baños · 1,450 ft²\n" in text
    assert f"gracias por escribirnos el {lead.created_at.astimezone(miami.zone):%-d} de " in text
    assert "hasta $500,000." in text
    assert "Recibe este correo porque está en contacto con Biscayne Homes." in text
    assert re.search(r"Darse de baja: http://\S+/u/", text)
    assert ">Darse de baja</a>" in rendered.html
    assert "Unsubscribe" not in text + rendered.html and "bedroom" not in text


def test_the_agencys_other_campaigns_stay_in_english(miami, account, lead):
    rendered = sending.render_for(campaign_in(miami, account, "").steps.get(), lead, account)
    assert "$420,000\n3 bedrooms · 2 bathrooms · 1,450 sq ft\n" in rendered.text
    assert "You receive this email because you are in touch with Biscayne Homes." in rendered.text
    assert re.search(r"Unsubscribe: http://\S+/u/", rendered.text)


def test_a_test_send_is_marked_in_spanish_and_its_link_opens_the_page_in_spanish(
    miami, account, lead, tmp_path
):
    step = campaign_in(miami, account, "es").steps.get()
    log = sending.test_send(step=step, lead=lead, account=account, to_email="marta@example.com")
    assert log.status == MessageLog.Status.SENT
    [written] = tmp_path.rglob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["Subject"] == "[Prueba] Su nuevo hogar en Miami"
    link = re.match(r"<http://[^/]+(/u/[^>]+)>", " ".join(message["List-Unsubscribe"].split()))
    page = Client().get(link.group(1))
    html = page.content.decode()
    assert page["Content-Language"] == "es" and '<html lang="es">' in html
    assert "¿Dejar de recibir los correos de campaña de <strong>Biscayne Homes</strong>?" in html
    assert "Este enlace viene de un mensaje de prueba" in html
    done = Client().post(link.group(1), {"scope": "all"}).content.decode()
    assert "Esto era una prueba" in done
    lead.refresh_from_db()
    assert lead.unsubscribed_at is None


def test_the_lead_s_own_link_unsubscribes_in_spanish(miami, account, lead):
    step = campaign_in(miami, account, "es").steps.get()
    url = re.search(
        r"Darse de baja: http://[^/]+(\S+)", sending.render_for(step, lead, account).text
    )
    page = Client().get(url.group(1)).content.decode()
    assert "Solo «Condos es»" in page and "Solo los boletines y anuncios" in page
    done = Client().post(url.group(1), {"scope": "all"})
    assert done["Content-Language"] == "es"
    assert "Se ha dado de baja" in done.content.decode()
    lead.refresh_from_db()
    assert lead.unsubscribed_at is not None


def test_the_message_as_claimed_and_render_step_are_in_spanish(miami, account, lead):
    campaign = campaign_in(miami, account, "es")
    step = campaign.steps.get()
    out = StringIO()
    call_command("render_step", str(step.pk), "--lead", lead.email, stdout=out)
    printed = email.message_from_string(out.getvalue(), policy=policy.default)
    assert "Darse de baja: http" in printed.get_body(("plain",)).get_content()
    blasts.campaign_launch(campaign=campaign)
    message = MessageLog.objects.get(campaign=campaign)
    sending.render_claimed(message, account)
    assert "3 dormitorios" in message.body_text and "Darse de baja" in message.body_text


def test_the_live_preview_follows_the_language_chosen_on_the_page(miami, account, lead):
    campaign = campaign_in(miami, account, "")
    client = Client()
    client.force_login(account.user)
    fields = {"subject": "Hola", "body_template": BODY, "lead": lead.pk, "campaign": campaign.pk}
    url = reverse("admin:campaigns_campaign_step_preview")
    english = client.post(url, fields).json()
    spanish = client.post(url, {**fields, "language": "es"}).json()
    assert "3 bedrooms" in english["text"] and "Unsubscribe" in english["html"]
    assert "3 dormitorios" in spanish["text"] and "Darse de baja" in spanish["html"]
    # Saved in Spanish, set back to the agency's language on the page: English again.
    Campaign.objects.filter(pk=campaign.pk).update(language="es")
    assert "3 bedrooms" in client.post(url, {**fields, "language": ""}).json()["text"]
    assert "3 dormitorios" in client.post(url, fields).json()["text"]


def test_the_campaign_form_names_the_agencys_language_as_the_default(miami, account):
    field = str(CampaignForm(instance=campaign_in(miami, account, ""))["language"])
    assert '<option value="" selected>The agency&#x27;s language (English)</option>' in field
    assert re.findall(r'<option value="(\w+)"', field) == ["en", "fr", "es"]
