"""The listing card (`{{ listing_card }}`) and `property` in an alert's email: photo, price,
old price after a drop, bedrooms and link, escaped, as HTML in the HTML part and as text in
the plain one; and the alert's preview is exactly what is queued for the lead."""

from zoneinfo import ZoneInfo

from django.urls import reverse

from campaigns.content.email_locale import EmailLocale, writing
from campaigns.content.listing_card import listing_card
from campaigns.content.rendering import SAMPLE_CONTEXT, render, render_message
from campaigns.listing_alerts import triggers
from campaigns.models import ListingAlert, MessageLog
from campaigns.outbox import sending, unsubscribe_links
from crm.models import Lead
from tests.conftest import list_property, make_buyer, reprice

VALUES = {
    "title": "Craftsman <b>bungalow</b>",
    "city": "Pasadena",
    "address": "12 Oak St",
    "price": 950_000,
    "old_price": 1_000_000,
    "bedrooms": 3,
    "url": "https://agency.example/oak",
    "photo_url": "https://agency.example/oak.jpg",
}


def test_the_card_shows_photo_price_old_price_bedrooms_and_link():
    html = render(
        "{{ listing_card }}", {**SAMPLE_CONTEXT, "listing_card": listing_card(VALUES)}, html=True
    )
    assert (
        '<img src="https://agency.example/oak.jpg" alt="Craftsman &lt;b&gt;bungalow&lt;/b&gt;"'
        in html
    )
    assert "Craftsman &lt;b&gt;bungalow&lt;/b&gt;" in html and "<b>bungalow" not in html
    assert "12 Oak St, Pasadena" in html
    assert '<strong style="font-size:20px">$950,000</strong>' in html
    assert 'Price drop: was <s style="color:#6b7280">$1,000,000</s>' in html
    assert "3 bedrooms" in html
    assert html.count('href="https://agency.example/oak"') == 2  # the photo and the button


def test_the_text_part_gets_the_card_as_lines():
    rendered = render_message(
        subject="New",
        html="<p>Hi</p>{{ listing_card }}",
        text="",
        context={**SAMPLE_CONTEXT, "listing_card": listing_card(VALUES)},
    )
    assert (
        "Craftsman <b>bungalow</b>\n12 Oak St, Pasadena\n$950,000\nPrice drop: was $1,000,000\n"
        "3 bedrooms\n" in rendered.text
    )
    assert "See the listing: https://agency.example/oak" in rendered.text
    assert "<table" not in rendered.text


def test_a_card_without_price_photo_or_web_link_says_so_plainly():
    values = {**VALUES, "price": None, "old_price": None, "bedrooms": 1}
    values |= {"url": "javascript:alert(1)", "photo_url": ""}
    card = listing_card(values)
    assert "Price on request" in card and "1 bedroom" in card
    assert "javascript" not in card and "javascript" not in card.__html__()
    assert "<img" not in card.__html__()


def test_no_property_means_an_empty_card():
    assert (
        render(
            "[{{ listing_card }}]",
            {**SAMPLE_CONTEXT, "listing_card": listing_card(None)},
            html=True,
        )
        == "[]"
    )


def test_an_alert_s_email_is_about_its_listing_not_the_lead_s_property(org_a, listing_alerts_a):
    lead = make_buyer(org_a, "Ana Souza", budget=(800_000, 990_000))
    item = list_property(org_a, bedrooms=4)
    other = list_property(org_a, title="Other", address="1 Elm St", price=5_000_000)
    Lead.objects.filter(pk=lead.pk).update(property=other)
    [drop] = reprice(item, 950_000)
    triggers.alert_send(alert=drop, user=None)
    message = MessageLog.objects.select_related("email_account").get(campaign=drop.blast)
    sending.render_claimed(message, message.email_account)  # written when claimed
    assert message.subject == "Craftsman bungalow in Pasadena"
    assert "4 bedrooms" in message.body_html and "Elm" not in message.body_html
    assert '<s style="color:#6b7280">$1,000,000</s>' in message.body_html
    assert "$950,000\nPrice drop: was $1,000,000\n" in message.body_text


def test_the_preview_is_what_is_queued(client_a, org_a, listing_alerts_a):
    lead = make_buyer(org_a, "Ana Souza")
    list_property(org_a)
    alert = ListingAlert.objects.get()
    page = client_a.get(
        reverse("admin:campaigns_listingalert_change", args=[alert.pk]) + f"?lead={lead.pk}"
    )
    previewed = page.context["rendered"]
    triggers.alert_send(alert=alert, user=None)
    queued = MessageLog.objects.select_related("email_account").get(lead=lead)
    sending.render_claimed(queued, queued.email_account)  # written when claimed
    # The preview's unsubscribe link opens the page but unsubscribes nobody: its token differs.
    test_link, link = unsubscribe_links.url_for(lead, test=True), unsubscribe_links.url_for(lead)
    assert previewed.subject == queued.subject
    assert previewed.html.replace(test_link, link) == queued.body_html
    assert previewed.text.replace(test_link, link) == queued.body_text
    assert 'class="listing-card"' in queued.body_html


def test_a_french_agencys_card_is_in_french_with_euros_and_square_metres():
    values = {**VALUES, "price": 420_000, "old_price": 450_000, "bedrooms": 1}
    values |= {"bathrooms": 1, "area": 28}
    with writing(EmailLocale("fr", "FR", "EUR", ZoneInfo("Europe/Paris"))):
        card = listing_card(values)
    assert str(card).splitlines()[2:] == [
        "420\u202f000\xa0€",
        "Baisse de prix : auparavant 450\u202f000\xa0€",
        "1 chambre · 1 salle de bain · 28\u202fm²",
        "Voir l'annonce : https://agency.example/oak",
    ]
    html = card.__html__()
    assert "Baisse de prix : auparavant <s" in html and ">Voir l&#39;annonce</a>" in html


def test_an_american_card_gives_the_area_in_square_feet_and_a_spanish_one_its_words():
    values = {**VALUES, "price": None, "old_price": None, "bathrooms": 2, "area": 1_450}
    with writing(EmailLocale("en", "US", "USD", ZoneInfo("America/Los_Angeles"))):
        assert "3 bedrooms · 2 bathrooms · 1,450 sq ft" in listing_card(values)
    with writing(EmailLocale("es", "US", "USD", ZoneInfo("America/New_York"))):
        card = listing_card({**values, "price": 420_000})
    assert "$420,000\n3 dormitorios · 2 baños · 1,450 ft²\nVer el anuncio: " in card
