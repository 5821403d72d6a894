"""The listing card that a template places with one tag, `{{ listing_card }}`: the photo,
title and address, the price (and the old price after a drop), the bedrooms and the link.
Email-safe HTML (a table, inline styles) in the HTML part, lines of text in the plain one.

Made from the `property` values of the message's context, so the card always says what
`{{ property.… }}` says; everything staff typed is escaped.
"""

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import ngettext
from markupsafe import Markup, escape

NO_PRICE = "Price on request"
SEE_LISTING = "See the listing"
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


def amount(value: int) -> str:
    return f"{value:,}"


def _web_address(url: str) -> str:
    """The URL when a mail program may open it (http or https), else ""."""
    return url if url and urlsplit(url).scheme in ("http", "https") else ""


def _facts(values: dict[str, Any]) -> tuple[str, str, str]:
    """(where, price, bedrooms) as words."""
    where = ", ".join(part for part in (values["address"], values["city"]) if part)
    price = NO_PRICE
    if values["price"] is not None:
        price = amount(values["price"])
        if values["old_price"] is not None:
            price += f" (was {amount(values['old_price'])})"
    beds = values["bedrooms"]
    bedrooms = ngettext("%(n)s bedroom", "%(n)s bedrooms", beds) % {"n": beds} if beds else ""
    return where, price, bedrooms


def listing_card(values: dict[str, Any] | None) -> ListingCard:
    """The card of these property values; empty (in both parts) when there is no property."""
    if values is None:
        return ListingCard("", Markup(""))
    where, price, bedrooms = _facts(values)
    link, photo = _web_address(values["url"]), _web_address(values["photo_url"])
    lines = [values["title"], where, price, bedrooms]
    if link:
        lines.append(f"{SEE_LISTING}: {link}")
    text = "\n".join(line for line in lines if line) + "\n"
    return ListingCard(text, _html(values, where, bedrooms, link, photo))


def _html(values: dict[str, Any], where: str, bedrooms: str, link: str, photo: str) -> Markup:
    title = escape(values["title"])
    cells = []
    if photo:
        image = Markup(
            '<img src="{}" alt="{}" width="480" style="display:block;width:100%;'
            'max-width:480px;height:auto;border:0;border-radius:8px 8px 0 0">'
        ).format(photo, values["title"])
        cells.append(Markup('<a href="{}">{}</a>').format(link, image) if link else image)
    price = Markup(NO_PRICE)
    if values["price"] is not None:
        price = Markup('<strong style="font-size:20px">{}</strong>').format(amount(values["price"]))
        if values["old_price"] is not None:
            price += Markup(' <s style="color:#6b7280">{}</s>').format(amount(values["old_price"]))
    details = Markup(
        '<p style="margin:0;font-size:18px;font-weight:bold">{}</p>'
        '<p style="margin:4px 0 0;color:#4b5563">{}</p>'
        '<p style="margin:12px 0 0">{}</p>'
    ).format(title, where, price)
    if bedrooms:
        details += Markup('<p style="margin:4px 0 0">{}</p>').format(bedrooms)
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
