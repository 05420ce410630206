#!/usr/bin/env python3
"""What `make run`, `make test` and `make install` need from the machine, checked before they start.

Runs with the Python that makes .venv (the Makefile's PYTHON), before any
dependency is installed, so it uses the standard library only.

    check_prereqs.py --venv .venv run|test       check; exit 1 after one line per missing thing
    check_prereqs.py --venv .venv install        the same, then replace a .venv made by another
                                                 Python, create .venv, say what the install will do
    check_prereqs.py --venv .venv --packages test    print the missing Debian packages (for .ci/run)

Each missing thing is one line on stderr ending with the command that installs
it (apt-get on Debian and Ubuntu, brew on macOS); with several, a last line
installs them all at once.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Django 5.2 supports 3.10 to 3.14. 3.10 left security support in October 2026
# and the code uses 3.11's datetime.UTC; 3.14 is not tested here. Keep in step
# with requires-python in pyproject.toml (a test checks).
SUPPORTED = ((3, 11), (3, 12), (3, 13))
ICU_MODULES = ("icu-uc", "icu-i18n")


@dataclass(frozen=True)
class Missing:
    """One missing thing: what it is and why, the package that brings it (apt, brew), and what to do next."""

    what: str
    apt: str
    brew: str
    then: str = ""

    def line(self, mac: bool) -> str:
        then = f", then {self.then}" if self.then else ""
        return f"Missing: {self.what}. Install it: {install_command([self], mac)}{then}"


def install_command(missing: list[Missing], mac: bool) -> str:
    if mac:
        packages = sorted({m.brew for m in missing if m.brew})
        return f"brew install {' '.join(packages)}" if packages else "xcode-select --install"
    return f"sudo apt-get install {' '.join(dict.fromkeys(m.apt for m in missing))}"


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version[:2])


def check_python(version: tuple[int, ...], mac: bool = False) -> list[Missing]:
    if tuple(version[:2]) in SUPPORTED:
        return []
    names = ", ".join(version_text(v) for v in SUPPORTED)
    # The oldest is the one most Debian and Ubuntu releases package; Homebrew has the newest.
    suggested = version_text(SUPPORTED[-1] if mac else SUPPORTED[0])
    return [
        Missing(
            f"a supported Python (this is {version_text(version)}; Haven runs on {names})",
            f"python{suggested} python{suggested}-venv python{suggested}-dev",
            f"python@{suggested}",
            then=f"run make with PYTHON=python{suggested}",
        )
    ]


def pinned_version(package: str) -> str:
    """The version constraints.txt pins for ``package`` ("" if it pins none)."""
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package.lower():
            return version.strip()
    return ""


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def installed_version(venv: Path, package: str) -> str:
    """The version of ``package`` in ``venv`` ("" if the venv or the package is not there)."""
    if not venv_python(venv).exists():
        return ""
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    result = subprocess.run(  # noqa: S603 (a fixed command)
        [str(venv_python(venv)), "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def venv_version(venv: Path) -> str:
    """The major.minor of the Python that made ``venv`` ("" if it has no pyvenv.cfg)."""
    try:
        text = (venv / "pyvenv.cfg").read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return ".".join(value.strip().split(".")[:2])
    return ""


def pyicu_needs_building(venv: Path) -> bool:
    # PyICU has no Linux wheels: pip compiles it, unless the venv already has the pinned one.
    return installed_version(venv, "pyicu") != pinned_version("pyicu")


def check_build(venv: Path, version: tuple[int, ...], mac: bool = False) -> list[Missing]:
    """What creating .venv and compiling PyICU (against the system ICU, found with pkg-config) need."""
    short = version_text(version)
    missing = []
    if not venv_python(venv).exists() and importlib.util.find_spec("ensurepip") is None:
        missing.append(Missing(f"Python {short}'s venv module (to create .venv)", f"python{short}-venv", ""))
    if not pyicu_needs_building(venv):
        return missing
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.exists():
        missing.append(Missing(f"Python {short}'s headers (to compile PyICU)", f"python{short}-dev", ""))
    if not (os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")):
        missing.append(Missing("a C++ compiler (to compile PyICU)", "g++", ""))
    if not shutil.which("pkg-config"):
        missing.append(Missing("pkg-config (to find ICU for PyICU)", "pkg-config", "pkg-config"))
    if not icu_found():
        # Homebrew keeps icu4c out of pkg-config's default path.
        then = 'export PKG_CONFIG_PATH="$(brew --prefix icu4c)/lib/pkgconfig"' if mac else ""
        missing.append(Missing("ICU's headers (to compile PyICU)", "libicu-dev", "icu4c", then=then))
    return missing


def icu_found() -> bool:
    if not shutil.which("pkg-config"):
        return False
    result = subprocess.run(["pkg-config", "--exists", *ICU_MODULES], check=False)  # noqa: S603, S607
    return result.returncode == 0


def check_test() -> list[Missing]:
    """What the suite runs besides Python: Chromium for browser tests, pg_dump for the leak tests."""
    missing = []
    chromium = os.environ.get("HAVEN_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        missing.append(Missing(f"Chromium at {chromium} (browser tests; or set HAVEN_CHROMIUM)", "chromium", ""))
    if not shutil.which("pg_dump"):
        missing.append(Missing("pg_dump (the leak tests dump the database)", "postgresql-client", "libpq"))
    return missing


def check(goal: str, venv: Path, version: tuple[int, ...], mac: bool = False) -> list[Missing]:
    """Everything missing for ``goal`` ("run", "test" or "install"), in the order to fix it."""
    missing = check_python(version, mac)
    if missing:
        return missing  # nothing else can be judged with the wrong Python
    if venv_version(venv) != version_text(version):
        # .venv will be made afresh: judge as if it were not there.
        venv = Path("/nonexistent/venv")
    missing += check_build(venv, version, mac)
    if goal == "test":
        missing += check_test()
    return missing


def replace_stale_venv(venv: Path, version: tuple[int, ...]) -> bool:
    """Remove ``venv`` if another Python made it; False if it is a symlink, which is left alone."""
    made_by = venv_version(venv)
    if (not venv.exists() and not venv.is_symlink()) or made_by == version_text(version):
        return True
    if venv.is_symlink():
        print(
            f"{venv} was made by Python {made_by or '(unknown)'}, not {version_text(version)}, and is a symlink "
            f"to {os.readlink(venv)}: remove it yourself, or run make with PYTHON=python{made_by}.",
            file=sys.stderr,
        )
        return False
    print(f"Replacing {venv}: Python {made_by or '(unknown)'} made it, and this is Python {version_text(version)}.")
    sys.stdout.flush()
    shutil.rmtree(venv)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("goal", choices=["run", "test", "install"])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--packages", action="store_true", help="print the missing Debian packages and exit 0")
    args = parser.parse_args(argv)
    version = (sys.version_info[0], sys.version_info[1])
    mac = platform.system() == "Darwin"
    missing = check(args.goal, args.venv, version, mac)
    if args.packages:
        # Another Python is not a package to add: make itself says so, in words.
        print("" if check_python(version) else " ".join(dict.fromkeys(m.apt for m in missing)))
        return 0
    for item in missing:
        print(item.line(mac), file=sys.stderr)
    if len(missing) > 1:
        print(f"All at once: {install_command(missing, mac)}", file=sys.stderr)
    if missing:
        return 1
    if args.goal == "install":
        if not replace_stale_venv(args.venv, version):
            return 1
        building = pyicu_needs_building(args.venv)
        if not venv_python(args.venv).exists():
            print(f"Creating {args.venv} with Python {version_text(version)}...", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(args.venv)], check=True)  # noqa: S603
        if building:
            print(
                f"Installing Python packages into {args.venv} "
                "(building PyICU from source takes about 3 minutes, once)..."
            )
        else:
            print(f"Installing Python packages into {args.venv}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
