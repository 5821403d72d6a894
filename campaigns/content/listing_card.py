"""The listing card that a template places with one tag, `{{ listing_card }}`: the photo,
title and address, the price (and the old price after a drop), the bedrooms, bathrooms and
area, and the link, in the message's locale (email_locale: 420 000 €, 85 m², 2 chambres).
Email-safe HTML (a table, inline styles) in the HTML part, lines of text in the plain one.

Made from the `property` values of the message's context, so the card always says what
`{{ property.… }}` says; everything staff typed is escaped.
"""

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from markupsafe import Markup, escape

from campaigns.content import formats

NO_PRICE = _("Price on request")
SEE_LISTING = _("See the listing")
SEE_LISTING_AT = _("See the listing: %(url)s")
PRICE_DROP = _("Price drop: was %(price)s")
FONT = "font-family:Arial,Helvetica,sans-serif"


class ListingCard(str):
    """The card's text, and its HTML for an HTML template: Jinja's escaping asks a value for
    `__html__` first, which no template can call itself (names starting with "_" are
    refused), so a text template gets the text and an HTML one the HTML."""

    _html: Markup

    def __new__(cls, text: str, html: Markup) -> "ListingCard":
        card = super().__new__(cls, text)
        card._html = html
        return card

    def __html__(self) -> Markup:
        return self._html


def _web_address(url: str) -> str:
    """The URL when a mail program may open it (http or https), else ""."""
    return url if url and urlsplit(url).scheme in ("http", "https") else ""


def _facts(values: dict[str, Any]) -> tuple[str, str, str, str]:
    """(where, price, price drop, rooms and area) as words of the message's locale."""
    where = ", ".join(part for part in (values["address"], values["city"]) if part)
    price, dropped = str(NO_PRICE), ""
    if values["price"] is not None:
        price = formats.money(values["price"])
        if values["old_price"] is not None:
            dropped = formats.money(values["old_price"])
    return where, price, dropped, _rooms(values)


def _rooms(values: dict[str, Any]) -> str:
    """ "3 bedrooms · 2 bathrooms · 85 m²", as much of it as is known."""
    facts = []
    # Spelt out in each call: makemessages only finds the words given to ngettext itself.
    if beds := values.get("bedrooms"):
        facts.append(
            ngettext("%(n)s bedroom", "%(n)s bedrooms", beds) % {"n": formats.number(beds)}
        )
    if baths := values.get("bathrooms"):
        facts.append(
            ngettext("%(n)s bathroom", "%(n)s bathrooms", baths) % {"n": formats.number(baths)}
        )
    if values.get("area"):
        facts.append(formats.area(values["area"]))
    return " · ".join(facts)


def listing_card(values: dict[str, Any] | None) -> ListingCard:
    """The card of these property values, in the locale being written (email_locale);
    empty (in both parts) when there is no property."""
    if values is None:
        return ListingCard("", Markup(""))
    where, price, dropped, rooms = _facts(values)
    link, photo = _web_address(values["url"]), _web_address(values["photo_url"])
    drop = str(PRICE_DROP) % {"price": dropped} if dropped else ""
    lines = [values["title"], where, price, drop, rooms]
    if link:
        lines.append(str(SEE_LISTING_AT) % {"url": link})
    text = "\n".join(line for line in lines if line) + "\n"
    return ListingCard(text, _html(values, where, (price, dropped), rooms, link, photo))


def _html(
    values: dict[str, Any],
    where: str,
    prices: tuple[str, str],
    rooms: str,
    link: str,
    photo: str,
) -> Markup:
    title = escape(values["title"])
    cells = []
    if photo:
        image = Markup(
            '<img src="{}" alt="{}" width="480" style="display:block;width:100%;'
            'max-width:480px;height:auto;border:0;border-radius:8px 8px 0 0">'
        ).format(photo, values["title"])
        cells.append(Markup('<a href="{}">{}</a>').format(link, image) if link else image)
    price, dropped = prices
    shown = Markup('<strong style="font-size:20px">{}</strong>').format(price)
    if values["price"] is None:
        shown = escape(price)
    details = Markup(
        '<p style="margin:0;font-size:18px;font-weight:bold">{}</p>'
        '<p style="margin:4px 0 0;color:#4b5563">{}</p>'
        '<p style="margin:12px 0 0">{}</p>'
    ).format(title, where, shown)
    if dropped:
        was = Markup('<s style="color:#6b7280">{}</s>').format(dropped)
        details += Markup('<p style="margin:4px 0 0;color:#b91c1c">{}</p>').format(
            escape(str(PRICE_DROP)) % {"price": was}
        )
    if rooms:
        details += Markup('<p style="margin:4px 0 0">{}</p>').format(rooms)
    if link:
        details += Markup(
            '<p style="margin:16px 0 0"><a href="{}" style="display:inline-block;'
            "padding:10px 18px;background:#2563eb;color:#ffffff;text-decoration:none;"
            'border-radius:6px">{}</a></p>'
        ).format(link, SEE_LISTING)
    cells.append(Markup('<div style="padding:16px;{}">{}</div>').format(FONT, details))
    rows = Markup("").join(Markup("<tr><td>{}</td></tr>").format(cell) for cell in cells)
    return Markup(
        '<table role="presentation" class="listing-card" cellpadding="0" cellspacing="0" '
        'style="width:100%;max-width:480px;border:1px solid #e5e7eb;border-radius:8px;'
        'border-collapse:separate">{}</table>'
    ).format(rows)
