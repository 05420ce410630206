"""URL converters: a path value that cannot be a case code never reaches a view."""

from __future__ import annotations

from defectors.models import CODE_ALPHABET


class CaseCodeConverter:
    """``<case_code:code>``: a code as ``new_case_code`` makes it, e.g. ``HV-7K3Q-M9ZD``.

    Anything else (a NUL byte, which PostgreSQL refuses with an error; 500
    characters; other scripts) answers 404 from the resolver, as an unknown code does.
    """

    regex = f"HV-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
