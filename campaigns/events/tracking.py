"""What happens after sending: bounces, opens and clicks."""

import datetime
import html
import re
import uuid

from django.core import signing
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from campaigns.content import public_address
from campaigns.models import STOPPED_BOUNCED, STOPPED_REPLIED, Enrollment, LinkClick, MessageLog
from crm.models import SuppressedAddress
from crm.suppression import suppress


def record_bounce(message: MessageLog, reason: str) -> bool:
    """A hard bounce: the message is marked, the address suppressed for the organization
    (re-importing the lead does not resubscribe it), and the lead's sequences stop."""
    now = timezone.now()
    changed = MessageLog.objects.filter(pk=message.pk, bounced_at__isnull=True).update(
        status=MessageLog.Status.BOUNCED,
        bounced_at=now,
        error_message=reason[:2000],
        updated_at=now,
    )
    suppress(
        organization=message.organization_id,
        email=message.to_email,
        reason=SuppressedAddress.Reason.BOUNCED,
        detail=reason,
    )
    Enrollment.objects.filter(lead=message.lead_id).stop(STOPPED_BOUNCED)
    return bool(changed)


def record_reply(message: MessageLog, replied_at: datetime.datetime) -> bool:
    """The lead answered: the message is marked and the lead's sequences stop (a person
    carries the conversation on). False when the reply was already recorded."""
    now = timezone.now()
    changed = MessageLog.objects.filter(pk=message.pk, replied_at__isnull=True).update(
        replied_at=replied_at, updated_at=now
    )
    MessageLog.objects.filter(
        pk=message.pk, status__in=[*_BEFORE_OPENED, "opened", "clicked"]
    ).update(status=MessageLog.Status.REPLIED)
    Enrollment.objects.filter(lead=message.lead_id).stop(STOPPED_REPLIED)
    return bool(changed)


# Opens and clicks. Tokens are signed and name the message (and the link's position), so a
# click can only lead to a URL that was in that message: there is no url= parameter.
SALT = "campaigns.tracking"
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_LINK = re.compile(r'(<a\b[^>]*?\bhref=")(https?://[^"]+)(")', re.IGNORECASE)
# Mail security gateways and link scanners that fetch every link before a person does.
SCANNERS = re.compile(
    r"barracuda|mimecast|proofpoint|urldefense|safelinks|symantec|trendmicro|fortiguard|"
    r"bitdefender|linkscanner|python-requests|curl/|wget/|headless",
    re.IGNORECASE,
)
TOO_SOON = datetime.timedelta(seconds=10)


def _sign(value: str) -> str:
    return signing.Signer(salt=SALT).sign(value)


def _unsign(token: str) -> str | None:
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


def _counted_as_prefetch(message: MessageLog, user_agent: str) -> bool:
    """A scanner, or a hit seconds after sending: counted apart, so rates stay honest."""
    sent_recently = message.sent_at and timezone.now() - message.sent_at < TOO_SOON
    if not (SCANNERS.search(user_agent or "") or sent_recently):
        return False
    MessageLog.objects.filter(pk=message.pk).update(prefetch_count=F("prefetch_count") + 1)
    return True


def record_open(token: str, user_agent: str) -> bool:
    """Count an open; the first real one sets opened_at. False for an unknown token."""
    value = _unsign(token)
    message = MessageLog.objects.filter(pk=_as_uuid(value)).first() if value else None
    if message is None:
        return False
    if _counted_as_prefetch(message, user_agent):
        return True
    now = timezone.now()
    MessageLog.objects.filter(pk=message.pk).update(open_count=F("open_count") + 1)
    MessageLog.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
    MessageLog.objects.filter(pk=message.pk, status__in=_BEFORE_OPENED).update(
        status=MessageLog.Status.OPENED, updated_at=now
    )
    return True


def record_click(token: str, user_agent: str) -> str | None:
    """Count a click and return the URL it leads to; None for a token that is not ours."""
    value = _unsign(token)
    if not value or "." not in value:
        return None
    message_id, _, index = value.partition(".")
    message = MessageLog.objects.filter(pk=_as_uuid(message_id)).first()
    if message is None or not index.isdigit() or int(index) >= len(message.links):
        return None
    url = message.links[int(index)]
    if _counted_as_prefetch(message, user_agent):
        return url
    now = timezone.now()
    MessageLog.objects.filter(pk=message.pk).update(click_count=F("click_count") + 1)
    LinkClick.objects.create(
        message=message, campaign_id=message.campaign_id, url=url[:2000], clicked_at=now
    )
    # A click means the message was opened too, pixel or not.
    MessageLog.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    MessageLog.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
    MessageLog.objects.filter(pk=message.pk, status__in=[*_BEFORE_OPENED, "opened"]).update(
        status=MessageLog.Status.CLICKED, updated_at=now
    )
    return url


_BEFORE_OPENED = [MessageLog.Status.SENT, MessageLog.Status.DELIVERED]


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None
