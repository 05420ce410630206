"""bin/check_prereqs.py and the Makefile: a missing prerequisite is named, with its install command, before
anything slow starts; a .venv made by another Python is replaced.

The checks run as the Makefile runs them, in a subprocess, against a scratch
.venv or an empty PATH: the shared .venv is never touched.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bin" / "check_prereqs.py"
_spec = importlib.util.spec_from_file_location("check_prereqs", SCRIPT)
assert _spec and _spec.loader
prereqs = importlib.util.module_from_spec(_spec)
sys.modules["check_prereqs"] = prereqs  # dataclasses look their module up there
_spec.loader.exec_module(prereqs)

# The running interpreter's venv: it has the pinned PyICU, so nothing needs compiling for it.
THIS_VENV = Path(sys.prefix)


def check(*args: str, path: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"] if path is None else path, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=60,
        check=False,
    )


def test_the_supported_pythons_are_those_pyproject_allows():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lowest, highest = project["requires-python"].split(",")
    assert lowest == f">={prereqs.version_text(prereqs.SUPPORTED[0])}"
    assert highest == f"<3.{prereqs.SUPPORTED[-1][1] + 1}"
    minors = [minor for _, minor in prereqs.SUPPORTED]
    assert minors == list(range(minors[0], minors[-1] + 1))


@pytest.mark.parametrize("version", [(3, 10, 13), (3, 14, 0), (2, 7, 18)])
def test_an_unsupported_python_is_named_with_one_that_works(version):
    [missing] = prereqs.check("run", THIS_VENV, version)
    line = missing.line(mac=False)
    assert f"this is {version[0]}.{version[1]}" in line
    assert "3.11, 3.12, 3.13" in line
    assert line.endswith(
        "sudo apt-get install python3.11 python3.11-venv python3.11-dev, then run make with PYTHON=python3.11"
    )
    [on_mac] = prereqs.check("run", THIS_VENV, version, mac=True)
    assert on_mac.line(mac=True).endswith("brew install python@3.13, then run make with PYTHON=python3.13")


@pytest.mark.parametrize("version", prereqs.SUPPORTED)
def test_a_supported_python_passes(version):
    assert prereqs.check_python(version) == []


def test_with_everything_there_it_says_nothing():
    result = check("--venv", str(THIS_VENV), "test")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_without_build_tools_each_is_named_with_its_apt_command_and_then_all_at_once(tmp_path):
    result = check("--venv", str(tmp_path / "no-venv"), "run", path=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Missing: a C++ compiler (to compile PyICU). Install it: sudo apt-get install g++",
        "Missing: pkg-config (to find ICU for PyICU). Install it: sudo apt-get install pkg-config",
        "Missing: ICU's headers (to compile PyICU). Install it: sudo apt-get install libicu-dev",
        "All at once: sudo apt-get install g++ pkg-config libicu-dev",
    ]


def test_a_venv_with_pyicu_built_needs_no_compiler(tmp_path):
    assert check("--venv", str(THIS_VENV), "run", path=str(tmp_path)).returncode == 0


def test_make_test_also_needs_chromium_and_pg_dump(tmp_path):
    result = check("--venv", str(THIS_VENV), "test", path=str(tmp_path), HAVEN_CHROMIUM=str(tmp_path / "chromium"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Missing: Chromium at {tmp_path / 'chromium'} (browser tests; or set HAVEN_CHROMIUM). "
        "Install it: sudo apt-get install chromium",
        "Missing: pg_dump (the leak tests dump the database). Install it: sudo apt-get install postgresql-client",
        "All at once: sudo apt-get install chromium postgresql-client",
    ]


def test_ci_gets_the_package_names(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.touch(mode=0o755)
    args = ("--venv", str(tmp_path / "no-venv"), "--packages", "test")
    result = check(*args, path=str(tmp_path), HAVEN_CHROMIUM=str(chromium))
    assert (result.returncode, result.stdout) == (0, "g++ pkg-config libicu-dev postgresql-client\n")


def stale_venv(path: Path) -> Path:
    path.mkdir()
    (path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.9.2\n")
    (path / ".installed-3.9").touch()
    return path


def test_install_replaces_a_venv_made_by_another_python(tmp_path):
    venv = stale_venv(tmp_path / "venv")
    result = check("--venv", str(venv), "install")
    assert result.returncode == 0, result.stderr
    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert result.stdout.splitlines() == [
        f"Replacing {venv}: Python 3.9 made it, and this is Python {this}.",
        f"Creating {venv} with Python {this}...",
        f"Installing Python packages into {venv} (building PyICU from source takes about 3 minutes, once)...",
    ]
    assert prereqs.venv_version(venv) == this
    assert not (venv / ".installed-3.9").exists()


def test_install_leaves_a_symlinked_venv_alone(tmp_path):
    target = stale_venv(tmp_path / "shared")
    link = tmp_path / "venv"
    link.symlink_to(target)
    result = check("--venv", str(link), "install")
    assert result.returncode == 1
    assert "is a symlink" in result.stderr
    assert link.is_symlink() and (target / "pyvenv.cfg").exists()


def test_run_and_test_only_check_and_never_remove(tmp_path):
    venv = stale_venv(tmp_path / "venv")
    assert check("--venv", str(venv), "run").returncode == 0
    assert (venv / "pyvenv.cfg").exists()


def test_install_into_a_ready_venv_does_not_promise_a_pyicu_build():
    result = check("--venv", str(THIS_VENV), "install")
    assert result.stdout == f"Installing Python packages into {THIS_VENV}...\n"


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_make_run_checks_before_it_installs_and_make_test_checks_for_the_suite():
    # -n prints the recipes without running them; -B pretends the install is stale.
    run = make("-n", "-B", "run").stdout
    assert run.index("check_prereqs.py --venv .venv run") < run.index("pip install")
    assert run.index("pip install") < run.index("manage.py migrate")
    assert run.index("check_prereqs.py --venv .venv install") < run.index("pip install")
    assert "check_prereqs.py --venv .venv test" in make("-n", "-B", "test").stdout


def test_make_without_its_python_says_what_to_install():
    result = make("prereqs-run", "PYTHON=/nonexistent/python3")
    assert result.returncode != 0
    assert (
        "Missing: /nonexistent/python3. Install it: sudo apt-get install python3 python3-venv "
        "(or run make with PYTHON=python3.11)" in result.stderr
    )


def test_make_with_an_unsupported_python_names_it():
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    old = sorted(pyenv.glob("versions/3.10*/bin/python3"))
    if not old:
        pytest.skip("no Python 3.10 here (pyenv)")
    result = make("prereqs-run", f"PYTHON={old[0]}")
    assert result.returncode != 0
    assert "Missing: a supported Python (this is 3.10;" in result.stderr
