"""What defectors adds to ``seed_demo``: ``--cases N``, synthetic cases topped up to N (defectors.demo).

Found through ``DefectorsConfig.demo_seeder``, so accounts' command seeds the
users and then this, without importing defectors.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser, OutputWrapper

from accounts.models import User
from defectors import demo

EXTRA_CASEWORKERS = 2  # caseworker2, caseworker3 (no password, not in the credentials file)


class CaseSeeder:
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            metavar="N",
            help=(
                "make sure N synthetic demo cases exist (fake people, fixed seed, assigned round-robin to the demo "
                "caseworker and two extra ones); only the missing ones are created, so a rerun with the same N "
                "creates nothing and an interrupted run resumes (100,000 take a few minutes)"
            ),
        )

    def check(self, options: dict[str, Any]) -> None:
        """Refuse an impossible --cases before anything is written (CommandError)."""
        if options.get("cases") is not None and not 0 <= options["cases"] <= demo.MAX_CASES:
            raise CommandError(f"--cases takes a number from 0 to {demo.MAX_CASES:,}.")

    def seed(self, *, users: dict[str, User], options: dict[str, Any], stdout: OutputWrapper) -> None:
        if options.get("cases") is None:
            return
        total: int = options["cases"]
        caseworkers = self._caseworkers(users[User.Role.CASEWORKER])
        started = time.monotonic()
        step = 10_000

        def progress(done: int, todo: int) -> None:
            if done == todo or done // step != (done - demo.BATCH_SIZE) // step:
                stdout.write(f"  {done:,} of {todo:,} cases ({time.monotonic() - started:.1f} s)")

        existing = demo.seeded(caseworkers).count()
        if existing >= total:
            stdout.write(f"{existing:,} demo cases already there: none created.")
            return
        stdout.write(f"Creating {total - existing:,} demo cases ({existing:,} already there)...")
        made = demo.seed(total, caseworkers, progress=progress)
        stdout.write(f"{total:,} demo cases ready: {made:,} created in {time.monotonic() - started:.1f} s.")

    def _caseworkers(self, caseworker: User) -> list[User]:
        caseworkers = [caseworker]
        for n in range(2, 2 + EXTRA_CASEWORKERS):
            extra, created = User.objects.get_or_create(
                username=f"{caseworker.username}{n}", defaults={"role": User.Role.CASEWORKER}
            )
            if created:
                extra.set_unusable_password()  # assignments only: nobody signs in as them
                extra.save(update_fields=["password"])
            if extra.role == User.Role.CASEWORKER:
                caseworkers.append(extra)
        return caseworkers
