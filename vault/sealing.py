"""Strings sealed with the organisation key (audit reasons, allauth's MFA secrets, sessions).

Imports nothing of ``audit`` or ``accounts``: both seal with it, and the audit
trail records what the vault's callers do, never the other way round
(tests/test_dependencies.py).
"""

from __future__ import annotations

from vault import crypto, keys


def seal_string(text: str, context: str) -> str:
    """``text`` sealed with the organisation key, as text (for JSON columns such as allauth's).

    ``context`` is bound as associated data: the value opens only with the same context.
    """
    return crypto.seal_text(keys.open_key(keys.organisation_key()), text, context.encode())


def open_string(value: str, context: str) -> str:
    """The text sealed by ``seal_string`` under ``context``; raises vault.crypto.Damaged if it does not open."""
    return crypto.open_text(keys.open_key(keys.organisation_key()), value, context.encode())
