"""What happens after sending: replies, opens and clicks (bounces: bounces.py)."""

import datetime
import re
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import STOPPED_REPLIED, Enrollment, LinkClick, MessageLog
from campaigns.outbox import tracking_links


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


# Opens and clicks, counted from the links of campaigns/outbox/tracking_links.py.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# Mail security gateways and link scanners that fetch every link before a person does.
SCANNERS = re.compile(
    r"barracuda|mimecast|proofpoint|urldefense|safelinks|symantec|trendmicro|fortiguard|"
    r"bitdefender|linkscanner|python-requests|curl/|wget/|headless",
    re.IGNORECASE,
)
TOO_SOON = datetime.timedelta(seconds=10)


def _counted_as_prefetch(message: MessageLog, user_agent: str) -> bool:
    """A scanner, or a hit seconds after sending: counted apart, so rates stay honest."""
    sent_recently = message.sent_at and timezone.now() - message.sent_at < TOO_SOON
    if not (SCANNERS.search(user_agent or "") or sent_recently):
        return False
    MessageLog.objects.filter(pk=message.pk).update(prefetch_count=F("prefetch_count") + 1)
    return True


def record_open(token: str, user_agent: str) -> bool:
    """Count an open; the first real one sets opened_at. False for an unknown token."""
    value = tracking_links.unsign(token)
    message = _message(value)
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
    value = tracking_links.unsign(token)
    if not value or "." not in value:
        return None
    message_id, _, index = value.partition(".")
    message = _message(message_id)
    if message is None or not index.isdigit() or int(index) >= len(message.links):
        return None
    url = message.links[int(index)]
    if _counted_as_prefetch(message, user_agent):
        return url
    now = timezone.now()
    if not _count_click(message, url[:2000], now):
        return url  # counted already in this window: a person clicks once, a script 300 times
    # A click means the message was opened too, pixel or not.
    MessageLog.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    MessageLog.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
    MessageLog.objects.filter(pk=message.pk, status__in=[*_BEFORE_OPENED, "opened"]).update(
        status=MessageLog.Status.CLICKED, updated_at=now
    )
    return url


_BEFORE_OPENED = [MessageLog.Status.SENT, MessageLog.Status.DELIVERED]


def click_window() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TRACKING_CLICK_WINDOW_SECONDS)


def _count_click(message: MessageLog, url: str, now: datetime.datetime) -> bool:
    """One click per message and link in click_window(): False when this link of this
    message was counted less than that ago. The message's row is locked while it is checked
    (PostgreSQL; SQLite's transaction holds the write lock), so simultaneous clicks count once."""
    with transaction.atomic():
        MessageLog.objects.select_for_update().filter(pk=message.pk).values("pk").first()
        recent = LinkClick.objects.filter(
            message=message, url=url, clicked_at__gt=now - click_window()
        )
        if recent.exists():
            return False
        LinkClick.objects.create(
            message=message, campaign_id=message.campaign_id, url=url, clicked_at=now
        )
        MessageLog.objects.filter(pk=message.pk).update(click_count=F("click_count") + 1)
    return True


def _message(message_id: str | None) -> MessageLog | None:
    """The message a signed link names; None when it names none."""
    try:
        pk = uuid.UUID(message_id or "")
    except ValueError:
        return None
    return MessageLog.objects.filter(pk=pk).first()
