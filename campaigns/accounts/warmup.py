"""Warm-up: a newly connected account's daily cap starts at 20 and rises evenly to its
daily limit over `warmup_days` days (days of the agency's time zone), so that Gmail sees a
new mailbox's volume grow rather than jump. The outbox's cap and the send plan both read
the cap from here."""

import datetime
import zoneinfo

from django.utils import timezone

from campaigns.models import EmailAccount

WARMUP_START = 20


def zone_of(account: EmailAccount) -> zoneinfo.ZoneInfo:
    """The agency's time zone, whose days the warm-up counts."""
    return account.organization.zone


def first_day(account: EmailAccount) -> datetime.date | None:
    """The warm-up's first day, None when the account has no warm-up."""
    if not account.warmup_days:
        return None
    if account.warmup_from:
        return account.warmup_from
    return timezone.localtime(account.created_at or timezone.now(), zone_of(account)).date()


def last_day(account: EmailAccount) -> datetime.date | None:
    """The last day below the full cap, None when the account has no warm-up."""
    start = first_day(account)
    return start + datetime.timedelta(days=account.warmup_days - 1) if start else None


def limit_on(account: EmailAccount, day: datetime.date) -> int:
    """The account's daily cap on `day` (a day of the agency)."""
    start = first_day(account)
    if start is None:
        return account.daily_limit
    elapsed = (day - start).days
    if elapsed >= account.warmup_days:
        return account.daily_limit
    low = min(WARMUP_START, account.daily_limit)
    # Before its first day (a start set ahead) the account is held at the first day's cap.
    return low + (account.daily_limit - low) * max(elapsed, 0) // account.warmup_days


def effective_daily_limit(account: EmailAccount, now: datetime.datetime) -> int:
    """The rolling-24-hour cap that holds at `now`: the daily limit, or less while warming up."""
    if not account.warmup_days:
        return account.daily_limit  # no time zone needed: no query on the claim's path
    return limit_on(account, timezone.localtime(now, zone_of(account)).date())


def next_rise(account: EmailAccount, now: datetime.datetime) -> datetime.datetime | None:
    """When the warm-up next raises the cap (the agency's next midnight); None once over."""
    end = last_day(account)
    if end is None:
        return None
    zone = zone_of(account)
    today = timezone.localtime(now, zone).date()
    if today > end:
        return None
    return datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), zone)
