"""A guard against zip bombs: an .xlsx is a zip, refused from its own sizes before anything parses it."""

from __future__ import annotations

import io
import zipfile

from django.utils.translation import gettext as _

# A 5,000-row form with every language column expands to a few MB of XML.
MAX_EXPANDED = 40 * 1024 * 1024
MAX_MEMBERS = 500
# Sheet XML compresses about 10:1; a bomb compresses hundreds to one.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024  # small members may compress well without harm


def archive_problem(data: bytes) -> str | None:
    """Why this .xlsx must not be opened, or None.

    Uses the sizes the archive's central directory declares: Python's zipfile never
    inflates a member past its declared size (it stops and reports a bad CRC), so
    an archive cannot lie its way past this check.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return _("This is not an XLSForm spreadsheet (.xlsx).")
    if len(members) > MAX_MEMBERS:
        return _("This spreadsheet holds too many parts (%(count)s) to be a form.") % {"count": len(members)}
    expanded = sum(member.file_size for member in members)
    if expanded > MAX_EXPANDED:
        return _("This spreadsheet expands to %(size)s MB, more than a form can be (at most %(limit)s MB).") % {
            "size": expanded // (1024 * 1024),
            "limit": MAX_EXPANDED // (1024 * 1024),
        }
    for member in members:
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            return _("This spreadsheet's part %(name)s expands %(ratio)s times: it is refused as a zip bomb.") % {
                "name": member.filename[:80],
                "ratio": member.file_size // max(member.compress_size, 1),
            }
    return None
