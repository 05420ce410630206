"""Load benchmark: signed-in users of mixed roles against a running server, each logging in once.

    make bench-load                       (seeds if needed, starts gunicorn, 1 user then 50, stops it)
    python bench/load.py seed [--cases N] [--users N] [--credentials PATH]
    python bench/load.py run BASE_URL CREDENTIALS [--duration S] [--users N] [--think S]
    python bench/load.py bench [--cases N] [--users N] [--duration S]   (what make bench-load runs)

``seed`` (with the settings' environment: DATABASE_URL names the load database, e.g.
haven_load_s0, which it migrates if new) tops the cases up to N (default 100,000) with the demo
generator's bulk path (defectors.demo), with the support benchmark's referrals, placements, tasks
and assistance (bench/support.py), and makes the users: of 50, 20 caseworkers (the cases go
round-robin to them), 10 supervisors, 8 debriefers, 4 administrators, 4 auditors and 4 donors,
each with a password and a TOTP authenticator. Their credentials (username, password, TOTP
secret, role, and a few case codes each may open) go to var/load-credentials.json, mode 0600.
A rerun creates only what is missing.

``run`` needs nothing but the standard library (threads, http.client, a cookie jar per user).
Each user signs in once through the real pages (the login form, then the TOTP form with a code
computed from the secret), then, until the duration is over, requests the pages of its role,
drawn by weight, with a think time drawn uniformly between 0.5 and 1.5 times --think. Requests
carry X-Forwarded-Proto: https and an X-Forwarded-For address of the user's own, as behind the
reverse proxy of docker-compose.yml (the server runs with DJANGO_TRUST_X_FORWARDED_PROTO=1 and
HAVEN_TRUSTED_PROXY_COUNT=1): secure cookies and per-client login limits work as in production.
Only requests started and finished within the window count. The exfiltration brake's limits
are raised for the bench's server (it still counts every page that reveals a case). It prints per page p50/p95/p99,
errors and requests per second and, given the server's process id (--server-pid, gunicorn's
master), the CPU its processes spent per request.

``bench`` collects static files into var/static if missing, starts gunicorn as the Dockerfile
does (3 sync workers unless GUNICORN_CMD_ARGS says otherwise), runs one user, then --users
users, both for --duration, and stops it. The load generator runs on the same machine.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import resource
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CREDENTIALS = ROOT / "var" / "load-credentials.json"
CODES_PER_USER = 20
MIX = {  # role: how many of every 50 users
    "caseworker": 20,
    "supervisor": 10,
    "debriefer": 8,
    "admin": 4,
    "auditor": 4,
    "donor": 4,
}

# What each role opens, by weight. "{case}" is one of the user's case codes.
PAGES: dict[str, list[tuple[str, str, int]]] = {
    "caseworker": [
        ("dashboard (caseworker)", "/support/", 3),
        ("case list", "/cases/", 4),
        ("case page", "/cases/{case}/", 4),
        ("support page", "/support/cases/{case}/", 3),
        ("referral list", "/support/referrals/", 2),
        ("case debriefs", "/debriefing/cases/{case}/", 1),
    ],
    "supervisor": [
        ("dashboard (supervisor)", "/support/", 4),
        ("case list", "/cases/", 3),
        ("case list, filtered", "/cases/?status=active&page=3", 1),
        ("case page", "/cases/{case}/", 3),
        ("support page", "/support/cases/{case}/", 3),
        ("referral list", "/support/referrals/", 2),
        ("tasks", "/cases/tasks/", 1),
        ("debrief schedule", "/debriefing/schedule/", 1),
        ("reports (manage)", "/reports/manage/", 1),
    ],
    "debriefer": [
        ("debrief list", "/debriefing/", 1),
    ],
    "admin": [
        ("people", "/people/", 3),
        ("backups", "/backups/", 1),
    ],
    "auditor": [
        ("audit trail", "/audit/", 1),
    ],
    "donor": [
        ("reports", "/reports/", 1),
    ],
}


# ---------------------------------------------------------------------------------------------
# The generator: standard library only.


def totp_now(secret: str, at: float | None = None) -> str:
    """The current six-digit code of a base32 TOTP secret (RFC 6238, SHA-1, 30 s)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class LoadError(Exception):
    pass


class Browser:
    """One signed-in person: a keep-alive connection and the cookies the server set."""

    def __init__(self, base_url: str, address: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.netloc = parts.netloc
        self.address = address
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = {
            "Host": self.netloc,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "User-Agent": "haven-bench-load",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.netloc}"
            headers["Referer"] = f"https://{self.netloc}{path}"
        for attempt in (1, 2):  # a kept-alive connection the server closed: open a new one once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                        self.cookies.pop(key.strip(), None)
                    else:
                        self.cookies[key.strip()] = val.strip()
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")

    def csrf_token(self, html: bytes) -> str:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not found:
            raise LoadError("no CSRF token on the form")
        return found.group(1).decode()

    def login(self, username: str, password: str, secret: str) -> None:
        status, _, html = self.request("GET", "/accounts/login/")
        if status != 200:
            raise LoadError(f"login page answered {status}")
        status, headers, _ = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": self.csrf_token(html), "login": username, "password": password},
        )
        if status != 302 or not headers.get("location", "").endswith("/accounts/2fa/authenticate/"):
            raise LoadError(f"password step answered {status} {headers.get('location', '')}")
        for _attempt in range(3):
            status, _, html = self.request("GET", "/accounts/2fa/authenticate/")
            if status != 200:
                raise LoadError(f"second-factor page answered {status}")
            form = {"csrfmiddlewaretoken": self.csrf_token(html), "code": totp_now(secret)}
            status, _, _ = self.request("POST", "/accounts/2fa/authenticate/", form)
            if status == 302:
                return
            # A code is spent once: this user signed in during this period already (an earlier
            # run); the next period's code is a new one.
            time.sleep(30.5 - time.time() % 30)
        raise LoadError(f"second-factor step answered {status}")


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    logins: list[float] = field(default_factory=list)
    login_failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every process below it."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        children[ppid].append(int(entry))
        stats[int(entry)] = (utime, stime)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        utime, stime = stats.get(current, (0, 0))
        total += utime + stime
        todo.extend(children.get(current, []))
    return total / ticks


def run(
    base_url: str, credentials: list[dict[str, Any]], *, users: int, duration: float, think: float,
    server_pid: int | None = None, quiet: bool = False, seed: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Sign ``users`` people in (once each), then load the server for ``duration`` seconds."""
    if users > len(credentials):
        raise SystemExit(f"{users} users asked for, the credentials file has {len(credentials)}")
    chosen = pick_users(credentials, users)
    results = Results()
    browsers: list[tuple[Browser, dict[str, Any]] | None] = [None] * users

    def sign_in(n: int, person: dict[str, Any]) -> None:
        browser = Browser(base_url, f"10.{n // 250}.{n % 250}.{1 + n % 200}")
        start = time.perf_counter()
        try:
            browser.login(person["username"], person["password"], person["totp_secret"])
        except (LoadError, OSError, http.client.HTTPException) as exc:
            with results.lock:
                results.login_failures.append(f"{person['username']}: {exc}")
            return
        with results.lock:
            results.logins.append(time.perf_counter() - start)
        browsers[n] = (browser, person)

    # Sign-ins first, a few at a time, outside the measured window (each is an Argon2 check).
    threads = [threading.Thread(target=sign_in, args=(n, p)) for n, p in enumerate(chosen)]
    for start in range(0, len(threads), 5):
        batch = threads[start : start + 5]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
    if results.login_failures:
        print("Sign-in failures:\n  " + "\n  ".join(results.login_failures[:10]), file=sys.stderr)
    signed_in = [b for b in browsers if b is not None]
    if not signed_in:
        raise SystemExit("nobody could sign in")

    begin = time.monotonic() + 1.0  # every user starts at a random moment within its first think time
    end = begin + duration
    cpu_before: float | None = None
    # One user: the server's CPU between the start and the end of a request is that request's.
    per_request_cpu = bool(server_pid) and len(signed_in) == 1

    def work(n: int, browser: Browser, person: dict[str, Any]) -> None:
        rng = random.Random(seed * 1000 + n)
        pages = PAGES[person["role"]]
        weights = [w for _, _, w in pages]
        codes = person.get("cases") or []
        time.sleep(max(0.0, begin - time.monotonic()) + rng.uniform(0, think))
        while True:
            label, path, _ = rng.choices(pages, weights)[0]
            if "{case}" in path:
                if not codes:
                    continue
                path = path.format(case=rng.choice(codes))
            started = time.monotonic()
            if started >= end:
                return
            error = None
            cpu = process_cpu(server_pid) if per_request_cpu else 0.0
            try:
                status, headers, _ = browser.request("GET", path)
                if status != 200:
                    error = f"{status} {headers.get('location', '')}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
            finished = time.monotonic()
            if per_request_cpu:
                cpu = process_cpu(server_pid) - cpu
            if finished <= end:
                with results.lock:
                    if error:
                        results.errors[label] += 1
                        results.error_kinds[f"{label}: {error}"] += 1
                    else:
                        results.times[label].append((finished - started) * 1000)
                        if per_request_cpu:
                            results.cpu[label].append(cpu * 1000)
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    workers = [threading.Thread(target=work, args=(n, b, p)) for n, (b, p) in enumerate(signed_in)]
    for t in workers:
        t.start()
    time.sleep(max(0.0, begin - time.monotonic()))
    if server_pid:
        cpu_before = process_cpu(server_pid)
    load_before = os.getloadavg()
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    for t in workers:
        t.join()
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_spent = process_cpu(server_pid) - cpu_before if server_pid and cpu_before is not None else None
    count = sum(len(v) for v in results.times.values()) + sum(results.errors.values())
    summary = {
        "users": len(signed_in),
        "duration": duration,
        "requests": count,
        "errors": sum(results.errors.values()),
        "rps": count / duration,
        "cpu_ms_per_request": (cpu_spent / count * 1000) if cpu_spent is not None and count else None,
        "generator_cpu_ms_per_request": (
            (own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime) / count * 1000
            if count
            else None
        ),
        "load_average": (load_before, os.getloadavg()),
        "login_ms_median": statistics.median(results.logins) * 1000 if results.logins else None,
        "pages": {
            label: {
                "n": len(times),
                "errors": results.errors.get(label, 0),
                "p50": percentile(times, 50),
                "p95": percentile(times, 95),
                "p99": percentile(times, 99),
                "cpu": statistics.median(results.cpu[label]) if results.cpu.get(label) else None,
            }
            for label, times in sorted(results.times.items())
        },
        "all": {q: percentile([t for v in results.times.values() for t in v], q) for q in (50, 95, 99)},
        "error_kinds": dict(results.error_kinds),
    }
    if not quiet:
        report([summary])
    return summary


# As the credentials file spells it (accounts.roles.Role.SUPERVISOR): `run` imports nothing of Haven.
HEAVIEST_ROLE = "supervisor"


def pick_users(credentials: list[dict[str, Any]], users: int) -> list[dict[str, Any]]:
    """``users`` people in the file's mix of roles (one user: a supervisor, whose pages are the heaviest)."""
    if users == 1:  # the last supervisor: not among the first users of a warm-up
        return [[c for c in credentials if c["role"] == HEAVIEST_ROLE][-1]]
    by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in credentials:
        by_role[c["role"]].append(c)
    chosen: list[dict[str, Any]] = []
    while len(chosen) < users:  # round-robin over the roles, in proportion to their numbers
        for role in sorted(by_role, key=lambda r: -len(by_role[r])):
            taken = sum(1 for c in chosen if c["role"] == role)
            if taken < len(by_role[role]) and taken / len(by_role[role]) <= len(chosen) / len(credentials):
                chosen.append(by_role[role][taken])
                if len(chosen) == users:
                    break
    return chosen


def report(summaries: list[dict[str, Any]]) -> None:
    """One table: per page, p50/p95/p99 (ms) of each run side by side."""
    labels = sorted({label for s in summaries for label in s["pages"]})

    def cells(n: object, p50: float, p95: float, p99: float, errors: object) -> str:
        return f" | {n!s:>6} {p50:6.0f} {p95:6.0f} {p99:6.0f} {errors!s:>4}"

    head = f"{'':26}" + "".join(f" | {s['users']:>3} user{'s' if s['users'] > 1 else ' '}{'':20}" for s in summaries)
    print(head)
    print(
        f"{'page (ms)':26}"
        + " | {:>6} {:>6} {:>6} {:>6} {:>4}".format("n", "p50", "p95", "p99", "err") * len(summaries)
    )
    print("-" * (26 + 35 * len(summaries)))
    for label in labels:
        row = f"{label:26}"
        for s in summaries:
            page = s["pages"].get(label)
            row += (
                cells(page["n"], page["p50"], page["p95"], page["p99"], page["errors"])
                if page
                else f" | {'—':>6}{'':26}"
            )
        cpu = [s["pages"][label]["cpu"] for s in summaries if s["pages"].get(label, {}).get("cpu") is not None]
        print(row + (f"   CPU {cpu[0]:.0f} ms (1 user, median)" if cpu else ""))
    print(
        f"{'all pages':26}"
        + "".join(cells(s["requests"], s["all"][50], s["all"][95], s["all"][99], s["errors"]) for s in summaries)
    )
    for s in summaries:
        cpu = s["cpu_ms_per_request"]
        load = " ".join(f"{x:.2f}" for x in s["load_average"][0])
        load_after = " ".join(f"{x:.2f}" for x in s["load_average"][1])
        print(
            f"{s['users']} user(s), {s['duration']:.0f} s: {s['requests']} requests, {s['rps']:.1f}/s, "
            f"{s['errors']} errors; server CPU {f'{cpu:.1f} ms' if cpu is not None else 'not measured'} a request, "
            f"generator {s['generator_cpu_ms_per_request']:.1f} ms; sign-in median {s['login_ms_median']:.0f} ms; "
            f"load average {load} before, {load_after} after"
        )
        for kind, n in sorted(s["error_kinds"].items()):
            print(f"  error {n} x {kind}")


# ---------------------------------------------------------------------------------------------
# Seeding: Django, in the load database.


def create_database(settings_dict: dict[str, Any]) -> None:
    """Create the load database if it does not exist yet (connected to the server's postgres database)."""
    import psycopg
    from psycopg import sql

    params = {"dbname": "postgres", "host": settings_dict["HOST"] or None, "port": settings_dict["PORT"] or None,
              "user": settings_dict["USER"] or None, "password": settings_dict["PASSWORD"] or None}  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        name = settings_dict["NAME"]
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.", flush=True)


def write_credentials(path: Path, people: list[dict[str, Any]]) -> None:
    """The users' credentials, readable by the owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(people, out, indent=1)
    path.chmod(0o600)


def seed(cases: int, users: int, credentials_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.roles import Role

    create_database(connection.settings_dict)
    call_command("migrate", verbosity=0, interactive=False)

    import secrets as secrets_module

    from allauth.mfa.totp.internal.auth import generate_totp_secret
    from django.utils import timezone

    from accounts.management.commands.seed_demo import ensure_user
    from accounts.models import Brake, User
    from bench import support as support_bench
    from defectors.models import Case
    from support.models import Provider, ServiceType, Shelter

    known: dict[str, dict[str, Any]] = {}
    if credentials_path.exists():
        known = {c["username"]: c for c in json.loads(credentials_path.read_text())}
    roles: list[str] = []
    for role, share in MIX.items():
        roles += [role] * max(1, round(share * users / 50))
    people: list[dict[str, Any]] = []
    accounts: dict[str, list[User]] = defaultdict(list)
    counters: dict[str, int] = defaultdict(int)
    for role in roles:
        counters[role] += 1
        username = f"load-{role}{counters[role]}"
        entry = known.get(username, {})
        password = entry.get("password") or f"load-{secrets_module.token_urlsafe(12)}"
        secret = entry.get("totp_secret") or generate_totp_secret()
        user = ensure_user(username, role=role, password=password, totp_secret=secret)
        accounts[role].append(user)
        people.append({"username": username, "password": password, "totp_secret": secret, "role": role})

    # Brakes tripped in an earlier run (by a server with the usual limits) are lifted: bench users only.
    Brake.objects.filter(person__username__startswith="load-", lifted_at__isnull=True).update(lifted_at=timezone.now())
    write_credentials(credentials_path, people)  # the passwords are kept even if the seeding is interrupted
    workers = accounts["caseworker"]
    providers = list(Provider.objects.all())  # the load database holds only these
    if not providers:
        for n in range(40):
            provider = Provider(name=f"Load provider {n}", services=list(ServiceType.values), contact=f"Signal {n}")
            provider.save()
            providers.append(provider)
    shelters = list(Shelter.objects.all())
    if not shelters:
        for n in range(12):
            shelter = Shelter(name=f"Load shelter {n}", address="Somewhere", beds=100 + cases // 400)
            shelter.save()
            shelters.append(shelter)
    have = support_bench.demo.seeded(workers).count()
    if have < cases:
        print(f"Seeding {cases - have:,} cases ({have:,} there)...", flush=True)
        support_bench.seed(cases, workers, providers, shelters)
    else:
        print(f"{have:,} cases already there.", flush=True)
    all_codes = list(Case.objects.order_by("?").values_list("code", flat=True)[: CODES_PER_USER * 10])
    for person, role in zip(people, roles, strict=True):
        if role == Role.CASEWORKER:
            user = next(u for u in workers if u.username == person["username"])
            person["cases"] = list(
                Case.objects.filter(assigned_to=user)
                .order_by("-urgency", "-created_at")
                .values_list("code", flat=True)[:CODES_PER_USER]
            )
        elif role == Role.SUPERVISOR:
            person["cases"] = random.Random(person["username"]).sample(all_codes, min(CODES_PER_USER, len(all_codes)))
    write_credentials(credentials_path, people)
    connection.close()
    print(f"{len(people)} users; credentials in {credentials_path} (mode 0600).", flush=True)


# ---------------------------------------------------------------------------------------------
# The whole bench: static files, gunicorn, one user, then many.


def bench(args: argparse.Namespace) -> None:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_TRUST_X_FORWARDED_PROTO="1",
        HAVEN_TRUSTED_PROXY_COUNT="1",
        DJANGO_ALLOWED_HOSTS=env.get("DJANGO_ALLOWED_HOSTS") or "127.0.0.1,localhost",
    )
    # The brake counts every case and support page opened (and is measured with it), but a
    # supervisor opening hundreds of others' cases an hour is what it is there to stop.
    for scope in ("ASSIGNED", "OTHER"):
        for window in ("HOUR", "DAY"):
            env[f"HAVEN_BRAKE_{scope}_PER_{window}"] = "1000000"
    python = sys.executable
    subprocess.run([python, str(ROOT / "bench" / "load.py"), "seed", "--cases", str(args.cases), "--users",
                    str(args.users), "--credentials", str(args.credentials)], check=True, env=env)  # fmt: skip
    static = Path(env.get("HAVEN_VAR_DIR", ROOT / "var")) / "static" / "staticfiles.json"
    if not static.exists():
        subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], check=True, env=env, cwd=ROOT)
    bind = args.bind
    gunicorn_args = [python, "-m", "gunicorn", "config.wsgi:application", "--bind", bind, "--workers", "3",
                     "--worker-tmp-dir", "/dev/shm", "--no-control-socket", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(gunicorn_args, env=env, cwd=ROOT)
    try:
        base = f"http://{bind}"
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection(*bind.split(":"), timeout=5)
                conn.request("GET", "/healthz", headers={"Host": bind, "X-Forwarded-Proto": "https"})
                if conn.getresponse().status in (200, 503):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.5)
        credentials = json.loads(Path(args.credentials).read_text())
        kwargs: dict[str, Any] = {"duration": args.duration, "think": args.think, "server_pid": server.pid}
        # A warm-up: every worker has loaded its templates before anything is measured.
        run(base, credentials, users=min(10, args.users), quiet=True, **{**kwargs, "duration": 10.0})
        single = run(base, credentials, users=1, quiet=True, **kwargs)
        many = run(base, credentials, users=args.users, quiet=True, **kwargs)
        settings = " ".join(gunicorn_args[4:])
        print(f"\nThink time {args.think} s (uniform 0.5x to 1.5x), {os.cpu_count()} CPUs, gunicorn {settings}")
        report([single, many])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_seed = sub.add_parser("seed")
    p_seed.add_argument("--cases", type=int, default=100_000)
    p_seed.add_argument("--users", type=int, default=50)
    p_seed.add_argument("--credentials", type=Path, default=DEFAULT_CREDENTIALS)
    p_run = sub.add_parser("run")
    p_run.add_argument("base_url")
    p_run.add_argument("credentials", type=Path)
    p_run.add_argument("--duration", type=float, default=60)
    p_run.add_argument("--users", type=int, default=50)
    p_run.add_argument("--think", type=float, default=1.0)
    p_run.add_argument("--server-pid", type=int)
    p_bench = sub.add_parser("bench")
    p_bench.add_argument("--cases", type=int, default=100_000)
    p_bench.add_argument("--users", type=int, default=50)
    p_bench.add_argument("--duration", type=float, default=60)
    p_bench.add_argument("--think", type=float, default=1.0)
    p_bench.add_argument("--credentials", type=Path, default=DEFAULT_CREDENTIALS)
    p_bench.add_argument("--bind", default="127.0.0.1:8077")
    args = parser.parse_args(argv)
    if args.command == "seed":
        seed(args.cases, args.users, args.credentials)
    elif args.command == "run":
        credentials = json.loads(args.credentials.read_text())
        run(args.base_url, credentials, users=args.users, duration=args.duration, think=args.think,
            server_pid=args.server_pid)  # fmt: skip
    else:
        bench(args)


if __name__ == "__main__":
    main()
