"""The public pages and the counts they feed (issue 24 §4): a recipient's clicks on one link
of one message count once in a window, however often they come; the open pixel, the click
redirect and the unsubscribe page are rate-limited per client address (django-ratelimit,
counted in a table every web process shares), answering 429 past the limit and recording
nothing."""

import datetime
import re
import threading

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.utils import timezone

from campaigns.events.views import TOO_MANY
from campaigns.models import LinkClick, MessageLog
from campaigns.outbox import unsubscribe_links
from tests.campaigns.events.test_tracking import BROWSER, clicks, sent_html, tracked

__all__ = ["tracked"]  # the fixture, shared with test_tracking


def pixel_of(message):
    return re.search(r'src="http://127\.0\.0\.1:8000(/t/o/[^"]+)"', sent_html(message)).group(1)


def hit(url, address="203.0.113.7", method="get"):
    return getattr(Client(), method)(url, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=address)


def test_three_hundred_clicks_on_one_link_count_once_in_the_window(tracked):
    first, second = clicks(sent_html(tracked))
    for n in range(300):
        assert hit(first, address=f"198.51.100.{n % 250}").status_code == 302
    tracked.refresh_from_db()
    assert tracked.click_count == 1
    assert LinkClick.objects.filter(message=tracked).count() == 1
    assert hit(second).status_code == 302  # another link of the message: its own count
    tracked.refresh_from_db()
    assert tracked.click_count == 2
    later = timezone.now() + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False):
        assert hit(first).status_code == 302
    tracked.refresh_from_db()
    assert tracked.click_count == 3
    assert LinkClick.objects.filter(message=tracked).count() == 3


def test_the_pixel_past_its_rate_is_429_and_counts_nothing(tracked, settings):
    settings.TRACKING_RATE = "5/m"
    pixel = pixel_of(tracked)
    assert [hit(pixel).status_code for _ in range(7)] == [200] * 5 + [429] * 2
    tracked.refresh_from_db()
    assert tracked.open_count == 5
    assert hit(pixel, address="192.0.2.1").status_code == 200  # another address is served
    refused = hit(pixel)
    assert (refused.content.decode(), refused["Retry-After"]) == (str(TOO_MANY), "60")


def test_the_click_redirect_past_its_rate_is_429_and_counts_nothing(tracked, settings):
    settings.TRACKING_RATE = "3/m"
    first, second = clicks(sent_html(tracked))
    assert [hit(url).status_code for url in (first, second, first)] == [302] * 3
    assert hit(second).status_code == 429
    tracked.refresh_from_db()
    assert tracked.click_count == 2


def test_the_unsubscribe_page_past_its_rate_is_429_and_unsubscribes_nobody(lead_a, settings):
    settings.UNSUBSCRIBE_RATE = "2/m"
    url = unsubscribe_links.url_for(lead_a).removeprefix("http://127.0.0.1:8000")
    assert [hit(url).status_code for _ in range(2)] == [200, 200]
    assert hit(url, method="post").status_code == 429
    lead_a.refresh_from_db()
    assert lead_a.unsubscribed_at is None
    assert hit(url, address="192.0.2.1", method="post").status_code == 200
    lead_a.refresh_from_db()
    assert lead_a.unsubscribed_at is not None


def test_the_limit_behind_a_proxy_counts_the_forwarded_client(tracked, settings):
    settings.TRACKING_RATE, settings.TRUSTED_PROXY_COUNT = "2/m", 1
    pixel = pixel_of(tracked)

    def through_proxy(client_address):
        return Client().get(
            pixel, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_address}"
        )

    assert [through_proxy("198.51.100.1").status_code for _ in range(3)] == [200, 200, 429]
    assert through_proxy("198.51.100.2").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_hits_counted_at_the_same_moment_are_all_counted():
    """The count lives in the database, shared by every web process; simultaneous increments
    are none of them lost (Django's own DatabaseCache reads then writes)."""
    cache = caches["rate_limits"]
    cache.add("hits", 0, 60)
    barrier = threading.Barrier(8)

    def count():
        barrier.wait()
        for _ in range(25):
            cache.incr("hits")
        connection.close()

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("hits") == 200
    assert MessageLog.objects.count() == 0  # (the table is the database's, not a process's)
