"""Listing alerts now go out within their campaign's send window. The listing alert campaigns
made before never showed one (it defaulted to 9:00-17:00 on weekdays, for sequences): they
get a window open at every hour of every day, so their alerts keep going out at once."""

import datetime

from django.db import migrations


def open_all_day(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Campaign.objects.filter(type="listing_alert").update(
        window_start=datetime.time(0, 0), window_end=datetime.time(23, 59), send_on_weekends=True
    )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0023_reply_to_sendable")]

    operations = [migrations.RunPython(open_all_day, migrations.RunPython.noop)]
