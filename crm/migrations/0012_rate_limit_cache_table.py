"""The database cache's table (settings/rate_limits.py), made by `migrate` so every way the
project is set up has it: the rate limits of the public pages count hits there."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("crm", "0011_lead_text_without_control_characters")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
