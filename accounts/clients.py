"""What Haven keeps about the browser a staff member signs in from: coarse on purpose.

Staff are at risk too: an exact address or a full user-agent string in a seized
database would help find or fingerprint them. A session row keeps only the
network (IPv4 /24, IPv6 /48) and the browser family and system, enough for a
person to tell "my phone" from "someone else" on their sessions page.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

# Looked for in this order: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def coarse_network(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) holding ``address``, e.g. "203.0.113.0/24"; "" if it is no address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def browser_family(user_agent: str) -> str:
    """The browser and system named by a user-agent string, e.g. "Firefox · Windows"; "" if neither is known."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in SYSTEMS if marker in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def session_row(request: HttpRequest) -> dict[str, Any]:
    """The coarse columns a session row keeps (vault.sessions.ROW_KEY), for the request that signs in."""
    try:
        # allauth's: the connecting address, or the one HAVEN_TRUSTED_PROXY_COUNT proxies vouch for.
        address = get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no address it can trust
        address = ""
    return {
        "network": coarse_network(address),
        "browser": browser_family(request.headers.get("User-Agent", "")),
        "signed_in_at": time.time(),
    }
