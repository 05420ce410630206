"""Ship "Standard debrief" version 1, published (debriefing/standard.py)."""

from django.db import migrations
from django.utils import timezone


def publish_standard(apps, schema_editor):  # type: ignore[no-untyped-def]
    from debriefing.standard import NAME, STRUCTURE

    DebriefTemplate = apps.get_model("debriefing", "DebriefTemplate")
    DebriefTemplate.objects.get_or_create(
        name=NAME, version=1, defaults={"structure": STRUCTURE, "status": "published", "published_at": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [("debriefing", "0001_debriefing")]
    operations = [migrations.RunPython(publish_standard, migrations.RunPython.noop)]
