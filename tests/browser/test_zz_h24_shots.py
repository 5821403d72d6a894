"""Screenshots of issue 24's pages (not committed)."""
import datetime
from pathlib import Path

import pytest
import time_machine

from campaigns.models import EmailAccount, ListingAlert
from tests.conftest import list_property, log_in, make_buyer, make_listing_alerts, make_staff

OUT = Path("/work/wt/h24-trust/var/screenshots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_shots(live_server, browser, org_a, staff_a, account_a):
    dana = make_staff("dana", org_a, role="agent")
    dana.set_password("pw-dana-123")
    dana.save()
    eve = make_staff("eve", org_a, role="agent")
    eve.set_password("pw-eve-123")
    eve.save()
    mailbox = EmailAccount.objects.create(
        organization=org_a, user=dana, email_address="dana@sunset.example", display_name="Dana",
        reply_to="dana@sunset.example",
    )
    staff_a.set_password("pw-alice-123")
    staff_a.save()
    make_buyer(org_a, "Ana Souza")
    alerts = make_listing_alerts(
        org_a, account_a, window_start=datetime.time(9), window_end=datetime.time(17),
        send_on_weekends=False,
    )
    for width, height in ((1366, 900), (390, 844)):
        page = browser.new_page()
        page.set_viewport_size({"width": width, "height": height})
        log_in(page, live_server, "eve", "pw-eve-123")
        page.goto(f"{live_server.url}/admin/campaigns/emailaccount/{mailbox.pk}/change/")
        page.screenshot(path=str(OUT / f"h24-mailbox-read-only-{width}.png"), full_page=True)
        page.goto(f"{live_server.url}/admin/campaigns/emailaccount/{mailbox.pk}/disconnect/")
        page.screenshot(path=str(OUT / f"h24-mailbox-disconnect-refused-{width}.png"), full_page=True)
        page.close()
        page = browser.new_page()
        page.set_viewport_size({"width": width, "height": height})
        log_in(page, live_server, "alice", "pw-alice-123")
        page.goto(f"{live_server.url}/admin/campaigns/campaign/{alerts.pk}/change/")
        page.screenshot(path=str(OUT / f"h24-listing-alert-window-{width}.png"), full_page=True)
        page.close()
