"""Links put in a message as it is sent: each link through the click endpoint, and the open
pixel. Tokens are signed and name the message (and the link's position), so a click can
only lead to a URL that was in that message: there is no url= parameter.

The salt is that of the links already in mailboxes (it was campaigns/tracking.py's):
changing it would break every open and click link ever sent."""

import html
import re

from django.core import signing
from django.urls import reverse

from campaigns.content import public_address
from campaigns.models import MessageLog

SALT = "campaigns.tracking"
_LINK = re.compile(r'(<a\b[^>]*?\bhref=")(https?://[^"]+)(")', re.IGNORECASE)


def _sign(value: str) -> str:
    return signing.Signer(salt=SALT).sign(value)


def unsign(token: str) -> str | None:
    try:
        return signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None


def trackable_links(html_body: str, unsubscribe_url: str) -> list[str]:
    """The message's links in order, as people will follow them (unsubscribe excluded)."""
    links = []
    for match in _LINK.finditer(html_body):
        url = html.unescape(match.group(2))
        if url != unsubscribe_url:
            links.append(url)
    return links


def instrument(html_body: str, message: MessageLog, unsubscribe_url: str) -> str:
    """The HTML as sent: links through the click endpoint, and the open pixel."""
    campaign = message.campaign
    if campaign.track_clicks:
        position = iter(range(len(message.links)))

        def rewrite(match: re.Match) -> str:
            if html.unescape(match.group(2)) == unsubscribe_url:
                return match.group(0)
            index = next(position, None)
            if index is None:
                return match.group(0)
            url = _url("track_click", click_token(message, index))
            return f"{match.group(1)}{html.escape(url)}{match.group(3)}"

        html_body = _LINK.sub(rewrite, html_body)
    if campaign.track_opens:
        pixel = _url("track_open", _sign(message.pk.hex))
        html_body += (
            f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" style="border:0">'
        )
    return html_body


def click_token(message: MessageLog, index: int) -> str:
    """The token of the message's link at `index` (its position in `message.links`)."""
    return _sign(f"{message.pk.hex}.{index}")


def _url(name: str, token: str) -> str:
    return public_address.base_url() + reverse(name, args=[token])
