"""Synthetic cases for demos and benchmarks: plausible, clearly fake, and fast to write.

``generate(index)`` describes demo case number ``index``; the same index always
gives the same person (a fixed seed per index), so topping up 100 cases to
1,000 adds the same 900 a fresh run of 1,000 would have made. ``write()``
inserts a batch with one INSERT per table: the data keys by
``vault.keys.new_data_keys``, then ``bulk_create`` seals every encrypted field
and computes every blind index through the fields' own ``pre_save``, as
``save()`` would.

Names are built from common Burmese given-name syllables (some written in
Myanmar script); well-known public figures' names are never produced. Service
numbers, case codes and places are generated; nothing here describes a real
person.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from defectors.models import (
    CODE_ALPHABET,
    Case,
    CaseNameIndex,
    Consent,
    FamilyMember,
    Level,
    Need,
    Region,
    new_case_code,
)
from vault import keys

SEED = 20210201  # the coup: every demo case derives its own generator from this
MAX_CASES = 1_000_000  # service numbers are unique below this
BATCH_SIZE = 1000

# Syllables of common given names: (Latin, Myanmar script).
MALE = [
    ("Aung", "အောင်"), ("Kyaw", "ကျော်"), ("Zaw", "ဇော်"), ("Min", "မင်း"), ("Thura", "သူရ"),
    ("Htet", "ထက်"), ("Naing", "နိုင်"), ("Soe", "စိုး"), ("Win", "ဝင်း"), ("Hlaing", "လှိုင်"),
    ("Myo", "မျိုး"), ("Tun", "ထွန်း"), ("Thant", "သန့်"), ("Phyo", "ဖြိုး"), ("Paing", "ပိုင်"),
    ("Ko", "ကို"), ("Thet", "သက်"), ("Lwin", "လွင်"), ("Myint", "မြင့်"), ("Hein", "ဟိန်း"),
    ("Kaung", "ကောင်း"), ("Nay", "နေ"), ("Lin", "လင်း"), ("Khant", "ခန့်"), ("Ye", "ရဲ"),
    ("Pyae", "ပြည့်"), ("Htoo", "ထူး"), ("Yan", "ရန်"), ("Sithu", "စည်သူ"), ("Zin", "ဇင်"),
]  # fmt: skip
FEMALE = [
    ("Su", "စု"), ("Hnin", "နှင်း"), ("Thandar", "သန္တာ"), ("Ei", "အိ"), ("Phyu", "ဖြူ"),
    ("Nwe", "နွယ်"), ("Moe", "မိုး"), ("Khin", "ခင်"), ("May", "မေ"), ("Thiri", "သီရိ"),
    ("Zin", "ဇင်"), ("Mar", "မာ"), ("Cho", "ချို"), ("Htwe", "ထွေး"), ("Myat", "မြတ်"),
    ("Yamin", "ယမင်း"), ("Nandar", "နန္ဒာ"), ("Thazin", "သဇင်"), ("Hla", "လှ"), ("Aye", "အေး"),
    ("San", "စန်း"), ("Wai", "ဝေ"), ("Shwe", "ရွှေ"), ("Yi", "ရီ"),
]  # fmt: skip
# Public figures whose names the syllables above could spell: never generated.
PUBLIC_FIGURES = {
    "min aung hlaing", "soe win", "than shwe", "thein sein", "win myint", "htin kyaw", "myint swe",
    "ne win", "khin nyunt", "maung aye", "shwe mann", "aung san", "zaw min tun", "min ko naing",
    "kyaw moe tun", "mya tun oo", "tin aung san", "aung lin dwe", "soe htut", "moe myint",
}  # fmt: skip

TOWNS = [
    "Monywa", "Pakokku", "Myitkyina", "Hpa-an", "Lashio", "Mawlamyine", "Sittwe", "Magway", "Pyay",
    "Taunggyi", "Meiktila", "Kalay", "Dawei", "Bago", "Pathein", "Hinthada", "Shwebo", "Mandalay", "Yangon",
]  # fmt: skip
REFUGES = [
    "Mae Sot, Thailand", "Chiang Mai, Thailand", "a liberated area in Sagaing", "a liberated area in Karenni",
    "KNU-held area, Kayin State", "Mizoram, India", "in hiding in Yangon", "in hiding in Mandalay",
]  # fmt: skip
ETHNICITIES = [("Bamar", 68), ("Karen", 6), ("Shan", 6), ("Chin", 4), ("Kachin", 3), ("Mon", 3), ("Rakhine", 5)]
ETHNICITIES += [("Kayah", 1), ("Mixed", 4)]
RELIGIONS = [("Buddhist", 86), ("Christian", 8), ("Muslim", 3), ("Hindu", 1), ("", 2)]

BRANCHES = [
    (Case.Branch.ARMY, 72, "BA"), (Case.Branch.POLICE, 19, "MPF"), (Case.Branch.AIR_FORCE, 4, "AF"),
    (Case.Branch.NAVY, 3, "NV"), (Case.Branch.OTHER, 2, "ID"),
]  # fmt: skip
RANKS = {
    Case.Branch.ARMY: (
        ["Private", "Lance Corporal"],
        ["Corporal", "Sergeant", "Warrant Officer II", "Warrant Officer"],
        ["Second Lieutenant", "Lieutenant", "Captain", "Major"],
    ),
    Case.Branch.POLICE: (
        ["Constable", "Lance Corporal"],
        ["Corporal", "Sergeant", "Police Warrant Officer"],
        ["Sub-Inspector", "Police Captain", "Police Major"],
    ),
    Case.Branch.AIR_FORCE: (
        ["Aircraftman", "Leading Aircraftman"],
        ["Corporal", "Sergeant", "Flight Sergeant"],
        ["Pilot Officer", "Flying Officer", "Flight Lieutenant"],
    ),
    Case.Branch.NAVY: (
        ["Seaman", "Able Seaman"],
        ["Leading Seaman", "Petty Officer", "Chief Petty Officer"],
        ["Sub-Lieutenant", "Lieutenant", "Lieutenant Commander"],
    ),
    Case.Branch.OTHER: (["Militia member", "Clerk"], ["Section leader"], ["Township officer"]),
}
RANK_BANDS = [(Case.RankBand.ENLISTED, 64), (Case.RankBand.NCO, 26), (Case.RankBand.OFFICER, 10)]
REGIONS = {
    Region.SAGAING: 12, Region.MAGWAY: 10, Region.MANDALAY: 12, Region.YANGON: 12, Region.BAGO: 9,
    Region.AYEYARWADY: 10, Region.NAYPYITAW: 3, Region.SHAN: 6, Region.KACHIN: 4, Region.KAYIN: 3,
    Region.MON: 4, Region.RAKHINE: 4, Region.CHIN: 3, Region.KAYAH: 2, Region.TANINTHARYI: 3, Region.OUTSIDE: 1,
}  # fmt: skip
SEXES = [(Case.Sex.MALE, 895), (Case.Sex.FEMALE, 85), (Case.Sex.UNDISCLOSED, 15), (Case.Sex.OTHER, 5)]
STATUSES = [(Case.Status.ACTIVE, 78), (Case.Status.CLOSED, 17), (Case.Status.REOPENED, 5)]
THREATS = [(Level.LOW, 20), (Level.MEDIUM, 42), (Level.HIGH, 35), (Level.CRITICAL, 3)]
NEED_URGENCY = [(Level.LOW, 25), (Level.MEDIUM, 40), (Level.HIGH, 30), (Level.CRITICAL, 5)]

# Defections per month, relative: the 2021-22 peak (about 100 a month), then the decline.
MONTH_WEIGHTS = {
    2021: [20, 60, 80, 90, 100, 100, 100, 100, 110, 110, 100],  # from February
    2022: [100, 100, 95, 95, 90, 90, 90, 85, 85, 80, 80, 75],
    2023: [65, 60, 55, 50, 50, 45, 45, 40, 40, 40, 45, 50],
    2024: [50, 55, 50, 45, 40, 35, 35, 30, 30, 30, 30, 30],
}
MONTHS = [
    datetime.date(year, month, 1) for year, weights in MONTH_WEIGHTS.items() for month in range(13 - len(weights), 13)
]
_MONTH_CUM = list(itertools.accumulate(weight for weights in MONTH_WEIGHTS.values() for weight in weights))

CIRCUMSTANCES = [
    "Left the unit during a night patrol and reached a resistance-held area after three days on foot.",
    "Refused an order to fire on a village; left the camp the same night with help from a relative.",
    "Walked out of the police station during the shift change and was met by a go-between.",
    "Slipped away on home leave and did not return; crossed to the border with family.",
    "Contacted the organisation through a friend, then left the base with two others.",
]
RISK_REASONS = [
    "Unit knows the home village; family questioned twice since the defection.",
    "Posted photo was recognised by former colleagues.",
    "Brought documents; the unit is looking for them.",
    "No specific threat known beyond the general risk to defectors.",
]
SAFETY_PLANS = [
    "Stays in a safe house; contact only through the caseworker; no social media.",
    "Family moved to a relative's house in another township.",
    "Check-in every three days by Signal; emergency contact through the go-between.",
]
CLOSING_REASONS = [
    "Resettled; no further support needed.",
    "Lost contact after three months despite several attempts.",
    "Now supported by a partner organisation.",
]
NEED_NOTES = [
    "Needs a place for the family near the border.",
    "Untreated injury from the time of defection.",
    "Looking for work; trained as a driver.",
    "Sleeping badly; agreed to see a counsellor.",
    "",
]
CONTACTS = [
    "Signal, through the caseworker's work phone",
    "Telegram, through a trusted go-between",
    "In person at the drop-in centre",
    "Through a relative in the same township",
]
RELATIONSHIPS = ["Mother", "Father", "Son", "Daughter", "Brother", "Sister"]


@dataclass
class DemoCase:
    """One synthetic case: the Case's field values, and its family, needs and consents."""

    index: int
    fields: dict[str, Any]
    family: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _name(rng: random.Random, female: bool, myanmar_script: bool) -> str:
    syllables = FEMALE if female else MALE
    while True:
        parts = rng.sample(syllables, rng.choices((2, 3), weights=(40, 60))[0])
        latin = " ".join(latin for latin, _ in parts)
        if latin.lower() not in PUBLIC_FIGURES:
            return "".join(script for _, script in parts) if myanmar_script else latin


def _code(index: int) -> str:
    # A bijection of 0..27**8-1 (the multiplier is prime to 27**8): unique codes without a lookup.
    number = (index * 2_147_483_647 + 123_456_789) % len(CODE_ALPHABET) ** 8
    chars = []
    for _ in range(8):
        number, digit = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return f"HV-{''.join(chars[:4])}-{''.join(chars[4:])}"


def service_number(index: int, branch: str) -> str:
    # Unique per index below MAX_CASES (the multiplier is prime to 10**6).
    prefix = next(prefix for value, _, prefix in BRANCHES if value == branch)
    return f"{prefix}-{(index * 7_919 + 104_729) % MAX_CASES:06d}"


_MYANMAR_DIGITS = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")


def generate(index: int) -> DemoCase:
    """Demo case number ``index``: always the same, whatever else has been generated.

    Only the next follow-up moves: it is set relative to today.
    """
    rng = random.Random(SEED * 10_000_019 + index)  # noqa: S311 - fake data, reproducible on purpose
    month = rng.choices(MONTHS, cum_weights=_MONTH_CUM)[0]
    days_in_month = ((month + datetime.timedelta(days=32)).replace(day=1) - month).days
    created_at = datetime.datetime.combine(month, datetime.time(), tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=rng.randrange(days_in_month * 86_400)
    )
    intake_day = created_at.date()
    sex = _pick(rng, SEXES)
    female = sex == Case.Sex.FEMALE or (sex != Case.Sex.MALE and rng.random() < 0.5)
    age = min(55, max(18, round(rng.triangular(18, 55, 26))))  # at intake
    latest, earliest = _years_before(intake_day, age), _years_before(intake_day, age + 1)
    born = earliest + datetime.timedelta(days=1 + rng.randrange((latest - earliest).days))
    branch = _pick(rng, [(value, weight) for value, weight, _ in BRANCHES])
    band = _pick(rng, RANK_BANDS)
    band_number = [Case.RankBand.ENLISTED, Case.RankBand.NCO, Case.RankBand.OFFICER].index(band)
    number = service_number(index, branch)
    if rng.random() < 0.03:  # typed with Myanmar digits: the blind index finds it with ASCII ones
        number = number.translate(_MYANMAR_DIGITS)
    status = _pick(rng, STATUSES)
    threat_to_defector, threat_to_family = _pick(rng, THREATS), _pick(rng, THREATS)
    critical = Level.CRITICAL in (threat_to_defector, threat_to_family)
    defected = max(MONTHS[0], intake_day - datetime.timedelta(days=rng.randrange(21)))
    town = rng.choice(TOWNS)
    myanmar_script = rng.random() < 0.15
    full_name = _name(rng, female, myanmar_script)
    alias = ""
    if rng.random() < 0.2:
        alias = f"{'Ma' if female else 'Ko'} {_name(rng, female, False).split()[0]}"
    dob_known = rng.random() < 0.95
    fields: dict[str, Any] = {
        "code": _code(index),
        "status": status,
        "urgency": Case.Urgency.URGENT if critical else Case.Urgency.NORMAL,
        "created_at": created_at,
        "updated_at": created_at,
        "intake_submitted_at": created_at + datetime.timedelta(minutes=rng.randrange(20, 3 * 24 * 60)),
        "next_follow_up": (
            timezone.localdate() + datetime.timedelta(days=rng.randrange(-14, 60))
            if status != Case.Status.CLOSED and rng.random() < 0.7
            else None
        ),
        "intake_month": month,
        "branch": branch,
        "rank_band": band,
        "region_of_origin": _pick(rng, list(REGIONS.items())),
        "sex": sex,
        "full_name": full_name,
        "other_names": alias,
        "date_of_birth": born if dob_known else None,
        "age_estimate": None if dob_known else age,
        "ethnicity": _pick(rng, ETHNICITIES),
        "religion": _pick(rng, RELIGIONS),
        "languages": rng.choice(["Burmese", "Burmese", "Burmese, English", "Burmese, Karen", "Burmese, Shan"]),
        "rank": rng.choice(RANKS[branch][band_number]),
        "unit": _unit(rng, branch),
        "service_number": number,
        "years_of_service": rng.randint(1, max(1, min(age - 17, 35))),
        "last_posting": town,
        "defection_date": defected,
        "defection_place": rng.choice(TOWNS),
        "circumstances": rng.choice(CIRCUMSTANCES),
        "was_armed": rng.random() < 0.3,
        "brought_weapons": rng.random() < 0.1,
        "brought_documents": rng.random() < 0.15,
        "threat_to_defector": threat_to_defector,
        "threat_to_family": threat_to_family,
        "risk_reasons": rng.choice(RISK_REASONS),
        "safety_plan": rng.choice(SAFETY_PLANS) if rng.random() < 0.7 else "",
        "contact_channel": rng.choice(CONTACTS),
        "current_location": rng.choice(REFUGES),
        "closing_reason": rng.choice(CLOSING_REASONS) if status == Case.Status.CLOSED else "",
    }
    return DemoCase(
        index=index,
        fields=fields,
        family=_family(rng, female, town),
        needs=[
            {"kind": kind, "urgency": _pick(rng, NEED_URGENCY), "note": rng.choice(NEED_NOTES)}
            for kind in rng.sample(Need.Kind.values, rng.choices((1, 2, 3), weights=(30, 45, 25))[0])
        ],
        consents=_consents(rng, intake_day),
    )


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _unit(rng: random.Random, branch: str) -> str:
    if branch == Case.Branch.ARMY:
        kind = rng.choice(
            ["Light Infantry Battalion", "Infantry Battalion", "Artillery Battalion", "Signals Battalion"]
        )
        return f"{kind} {rng.randint(1, 599)}"
    if branch == Case.Branch.POLICE:
        return rng.choice([f"Police Battalion {rng.randint(1, 40)}", f"{rng.choice(TOWNS)} Township Police Station"])
    if branch == Case.Branch.AIR_FORCE:
        return f"{rng.choice(['Meiktila', 'Magway', 'Hmawbi', 'Pathein', 'Myitkyina'])} air base"
    if branch == Case.Branch.NAVY:
        return f"Naval Region {rng.randint(1, 5)}"
    return "Township administration office"


def _family(rng: random.Random, female: bool, town: str) -> list[dict[str, Any]]:
    members = []
    size = rng.choices((0, 1, 2, 3, 4), weights=(15, 25, 30, 20, 10))[0]
    for _ in range(size):
        relationship = rng.choice(["Husband" if female else "Wife", *RELATIONSHIPS])
        relative_female = relationship in ("Wife", "Mother", "Daughter", "Sister")
        at_risk = rng.random() < 0.4
        members.append(
            {
                "relationship": relationship,
                "name": _name(rng, relative_female, rng.random() < 0.15),
                "location": rng.choice([town, town, "the home village", *REFUGES[:3], ""]),
                "at_risk": at_risk,
                "protection_needed": at_risk and rng.random() < 0.5,
            }
        )
    return members


def _consents(rng: random.Random, given_on: datetime.date) -> list[dict[str, Any]]:
    kinds = [Consent.Kind.DATA_PROCESSING]  # always: a case cannot be opened without it
    kinds += [
        kind
        for kind, share in ((Consent.Kind.DEBRIEFING, 0.55), (Consent.Kind.REFERRAL_SHARING, 0.45))
        if rng.random() < share
    ]
    if rng.random() < 0.2:
        kinds.append(Consent.Kind.TESTIMONY)
    method = _pick(rng, [(Consent.Method.VERBAL, 70), (Consent.Method.WRITTEN, 30)])
    return [{"kind": kind, "given_on": given_on, "method": method} for kind in kinds]


@contextmanager
def given_timestamps(model: type[models.Model]) -> Iterator[None]:
    """Let ``bulk_create`` keep the created/updated times given (auto_now would overwrite them).

    Changes the fields for the whole process while the block runs: use it only
    in a command or a script, never in a web or worker process.
    """
    fields = [
        f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[attr-defined]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


def write(batch: Sequence[DemoCase], caseworkers: Sequence[User]) -> list[Case]:
    """Insert ``batch`` in one transaction: data keys, cases, family, needs, consents, one INSERT each.

    Cases go round-robin (by index) to ``caseworkers``, who also created them.
    """
    cases, family, needs, consents = [], [], [], []
    for spec in batch:
        worker = caseworkers[spec.index % len(caseworkers)]
        case = Case(created_by=worker, assigned_to=worker, **spec.fields)
        cases.append(case)
        family += [FamilyMember(case=case, position=n, **member) for n, member in enumerate(spec.family)]
        needs += [Need(case=case, **need) for need in spec.needs]
        consents += [Consent(case=case, recorded_by=worker, **consent) for consent in spec.consents]
    # Demo codes never repeat each other; a real case's random code could, once in a blue moon.
    taken = set(Case.objects.filter(code__in=[case.code for case in cases]).values_list("code", flat=True))
    for case in cases:
        while case.code in taken:
            case.code = new_case_code()
    with transaction.atomic(), given_timestamps(Case):
        for case, key in zip(cases, keys.new_data_keys(len(cases), batch_size=BATCH_SIZE), strict=True):
            case.data_key = key
        Case.objects.bulk_create(cases, batch_size=BATCH_SIZE)  # pre_save seals and indexes each row
        CaseNameIndex.objects.refresh(cases)
        FamilyMember.objects.bulk_create(family, batch_size=BATCH_SIZE)
        Need.objects.bulk_create(needs, batch_size=BATCH_SIZE)
        Consent.objects.bulk_create(consents, batch_size=BATCH_SIZE)
    return cases


def seeded(caseworkers: Sequence[User]) -> models.QuerySet[Case]:
    """The demo cases already there: made by the demo caseworkers, never through the intake form."""
    return Case.objects.filter(created_by__in=caseworkers, intake_token__isnull=True)


def seed(
    total: int,
    caseworkers: Sequence[User],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Top the demo cases up to ``total``; returns how many were created. Safe to interrupt and rerun."""
    if not 0 <= total <= MAX_CASES:
        raise ValueError(f"between 0 and {MAX_CASES:,} demo cases")
    start = seeded(caseworkers).count()
    for first in range(start, total, batch_size):
        last = min(first + batch_size, total)
        write([generate(index) for index in range(first, last)], caseworkers)
        if progress is not None:
            progress(last - start, total - start)
    return max(0, total - start)
