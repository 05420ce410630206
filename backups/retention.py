"""Which backups to keep: the last N daily, M weekly and K monthly (grandfather-father-son)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime


def to_keep(stamps: Iterable[datetime], *, daily: int, weekly: int, monthly: int) -> set[datetime]:
    """The backup times to keep; every other one may be pruned.

    For each of the ``daily`` most recent days that have a backup, its newest
    backup is kept; likewise for ISO weeks and calendar months (the newest of
    each). The newest backup overall is always kept, whatever the settings.
    Times are compared in whatever time zone they carry.
    """
    newest_first = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set(newest_first[:1])
    periods: list[tuple[int, Callable[[date], Hashable]]] = [
        (daily, lambda day: day),
        (weekly, lambda day: day.isocalendar()[:2]),
        (monthly, lambda day: (day.year, day.month)),
    ]
    for count, period in periods:
        seen: set[Hashable] = set()
        for stamp in newest_first:
            if len(seen) >= count:
                break
            bucket = period(stamp.date())
            if bucket not in seen:
                seen.add(bucket)
                keep.add(stamp)
    return keep
