"""The platform apps import one another one way only: vault <- audit <- accounts.

accounts records its events in the audit trail and seals with the vault; the audit
trail seals its reasons with the vault; the vault imports neither. Every module of
the three apps is parsed (migrations and management commands too), and every
import statement counts wherever it is: at module top, inside a function, under
``if TYPE_CHECKING``. ``import_module``/``import_string`` calls with a literal
argument count as well. What is not seen: a dotted path kept in settings (the
middleware and session engine lists are the project's wiring, not an app's
import) and swappable-model strings such as ``settings.AUTH_USER_MODEL``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from accounts.roles import Role

ROOT = Path(__file__).resolve().parents[1]
# Lower first: an app may import the ones before it, never the ones after.
LAYERS = ["vault", "audit", "accounts"]
DYNAMIC_IMPORTS = {"import_module", "import_string"}


def imported_modules(source: str, *, module: str) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in ``source``; relative imports are resolved against ``module``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                found.append((node.lineno, ".".join([*base, *([node.module] if node.module else [])])))
            elif node.module:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def imports_against_the_direction(source: str, *, module: str) -> list[str]:
    """``"module:line imports target"`` for each import of a higher platform app by a lower one."""
    app = module.split(".")[0]
    wrong = []
    for line, target in imported_modules(source, module=module):
        other = target.split(".")[0]
        if other in LAYERS and LAYERS.index(other) > LAYERS.index(app):
            wrong.append(f"{module}:{line} imports {target}")
    return wrong


def test_the_platform_apps_import_one_another_one_way():
    wrong = []
    modules = 0
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            wrong += imports_against_the_direction(path.read_text(), module=module)
            modules += 1
    assert modules > 40  # the walk found the apps
    assert wrong == []


def test_a_lazy_or_type_only_import_against_the_direction_is_found():
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from accounts.models import User
def seal():
    from audit.services import log_event
    from . import crypto
    return import_module("accounts.views")
"""
    assert imports_against_the_direction(source, module="vault.sealing") == [
        "vault.sealing:4 imports accounts.models",
        "vault.sealing:6 imports audit.services",
        "vault.sealing:8 imports accounts.views",
    ]
    # The same imports seen from accounts point down the layers: allowed.
    assert imports_against_the_direction(source, module="accounts.x") == []


def test_the_audit_pages_name_the_auditor_role_as_accounts_does():
    from audit.views import AUDITOR_ROLE

    assert AUDITOR_ROLE == Role.AUDITOR
