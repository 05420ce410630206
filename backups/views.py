"""The administrators' backups page: history, age of the last good backup, and starting one."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from backups import demo_key, manifest, services
from backups.models import Backup

HISTORY = 50


@role_required("admin")
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    backups = list(Backup.objects.select_related("started_by")[:HISTORY])
    last_good = Backup.objects.last_good()
    running = any(backup.is_in_progress for backup in backups)
    context = {
        "backups": backups,
        "last_good": last_good,
        "running": running,  # the page refreshes itself while a backup runs: that is the progress
        # make run's demo trustee key (debug only; refused otherwise): the page says so plainly.
        "demo_key": bool(demo_key.demo_recipients(list(settings.BACKUP_RECIPIENTS), settings.BACKUP_DEMO_KEY_FILE)),
        "demo_key_file": settings.BACKUP_DEMO_KEY_FILE,
        # Where the files are and which one `manage.py restore` takes: the page names each backup.
        "backup_dir": settings.BACKUP_DIR,
        "manifest_suffix": manifest.SUFFIX,
    }
    return render(request, "backups/index.html", context)


@role_required("admin")
@require_POST
@reauthentication_required
def start(request: AuthenticatedRequest) -> HttpResponse:
    try:
        services.start_backup(by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        # The worker may already have finished by the time the page shows: say only what is true either way.
        messages.success(request, _("Backup started: its row below shows how it goes."))
    return redirect("backups:index")
