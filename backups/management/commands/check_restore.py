import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from backups import services


class Command(BaseCommand):
    help = "Internal, run by restore: check a just-restored database (JSON request on stdin, findings on stdout)."

    def handle(self, *args: Any, **options: Any) -> None:
        request = json.load(sys.stdin)
        findings = services.check_restored_database(
            name=str(request["name"]),
            checkpoint=dict(request["checkpoint"]),
            shred_list=[str(key_id) for key_id in request["shred_list"]],
            sample=int(request.get("sample", 20)),
        )
        self.stdout.write(json.dumps(findings))
