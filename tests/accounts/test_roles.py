"""The roles that work on cases are defined once, on User; nobody compares role strings by hand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = ["accounts", "audit", "vault", "defectors", "bench"]


@pytest.mark.parametrize("role", User.Role.values)
def test_only_supervisors_and_caseworkers_work_on_cases(role):
    assert User(role=role).works_on_cases is (role in ("supervisor", "caseworker"))
    assert (role in User.CASE_ROLES) is User(role=role).works_on_cases


def _python_files() -> list[Path]:
    paths = [path for app in APP_CODE for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]
    return [path for path in paths if path != ROOT / "accounts" / "roles.py"]  # where they are defined


def test_no_code_compares_or_requires_a_role_spelled_as_a_string():
    roles = set(User.Role.values)
    found = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "role_required":
                operands = list(node.args)
            elif isinstance(node, (ast.Tuple, ast.Set, ast.List)):
                operands = list(node.elts)
            else:
                continue
            for operand in operands:
                if isinstance(operand, ast.Constant) and operand.value in roles:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_no_template_compares_a_role():
    pattern = re.compile(r"role\s*(==|!=|in)\s*")
    found = [
        str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html") if pattern.search(path.read_text())
    ]
    assert found == []
