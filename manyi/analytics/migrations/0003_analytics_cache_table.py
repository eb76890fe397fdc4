"""The table of the "analytics" cache (settings.CACHES): the precomputed analytics pages."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", "--database", schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_valuemodelfit_alert_alertsettings_customervalue")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
