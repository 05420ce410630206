"""Requests still waiting get their reason from the audit trail, so the approver sees it.

Until now the supervisor's reason was written only to the audit event
``defectors.case.shred_requested``. For each undecided request without a kept
reason, the latest such event of its case is opened and its reason sealed onto
the request (bound to the request's id). Decided requests are left alone.
Reversing does nothing: the sealed copies stay.
"""

from django.db import migrations


def copy_reasons(apps, schema_editor):  # type: ignore[no-untyped-def]
    from vault.crypto import Damaged
    from vault.sealing import open_string, seal_string

    ShredRequest = apps.get_model("defectors", "ShredRequest")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    pending = ShredRequest.objects.filter(decided_at__isnull=True, sealed_reason="").select_related("case")
    for request in pending:
        event = (
            AuditEvent.objects.filter(action="defectors.case.shred_requested", object_ref=request.case.code)
            .exclude(sealed_reason="")
            .order_by("-seq")
            .first()
        )
        if event is None:
            continue
        try:
            # As audit.models.reason_context and ShredRequest.reason_context (frozen here).
            reason = open_string(event.sealed_reason, f"audit.reason.{event.seq}")
        except Damaged:
            continue  # verify_audit names the event; the approver's page says "not recorded"
        sealed = seal_string(reason, f"defectors.shredrequest.reason.{request.pk}")
        ShredRequest.objects.filter(pk=request.pk).update(sealed_reason=sealed)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_seal_reasons"),
        ("defectors", "0009_shred_request_keeps_its_reason_sealed"),
    ]

    operations = [migrations.RunPython(copy_reasons, migrations.RunPython.noop)]
