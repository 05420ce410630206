"""Canonical forms of names and identifiers, compared by blind indexes.

A blind index only finds exact matches, so everything that a person would call
"the same name" or "the same number" has to become the same string first.
Two forms, declared with each index (``vault.fields``):

``canonical_identifier`` (service numbers, ID numbers): invisible characters
dropped, NFKC (full-width letters and digits), Myanmar and Shan digits as
ASCII, upper case, and every space, dash (all of Unicode's Dash_Punctuation
and the minus signs), slash, dot and underscore removed: "bc-51 001",
"BC/51001" and the same in full-width characters are all "BC51001".

``canonical_name`` (names, aliases, any free text), in order:

1. Zawgyi to Unicode. Burmese is still typed daily in the legacy Zawgyi
   encoding, which reuses Myanmar code points for glyph shapes and stores
   them in visual order. Text is converted with ICU's ``Zawgyi-my`` transform
   (the CLDR rules) unless it holds a sequence only Unicode has
   (``_UNICODE_ONLY``), and then when it holds a sequence invalid in Unicode
   (``_ZAWGYI_ONLY``), or Google's detector (``myanmartools``) gives it a
   probability above 0.95, or above 0.05 with a sequence typical of Zawgyi
   (``_ZAWGYI_LIKELY``). The detector alone misses short Zawgyi
   ("ေဝေဝ" scores 0.61, "မဂၤလာ" 0.60); the markers alone would take Shan
   (which uses the code points Zawgyi borrowed, and scores 0.0) for Zawgyi.
2. Invisible characters removed: every Default_Ignorable_Code_Point (ZWSP,
   ZWNJ, ZWJ, word joiner, BOM, soft hyphen, bidi controls, variation
   selectors, ...). Deleted, not turned into spaces: ZWSP is a line-break
   hint inside Burmese words and names, so "A<ZWSP>B" matches "AB".
3. NFKC, case folding, NFKC again (case folding can un-NFKC, e.g. U+01F0).
4. Myanmar text in the storage order of Unicode Technical Note #11
   (``_reorder``): keyboards that store characters in visual order put the
   vowel sign ေ (U+1031) and the medial ြ (U+103C) before their consonant,
   and people type the marks of a syllable in any order ("ကုိ" for "ကို").
   Each syllable's marks are sorted by the note's table; a syllable holding
   marks of other languages (Shan, Mon, Karen) is left as typed.
5. Look-alikes folded (``_fold_lookalikes``): digit zero and letter wa
   (U+1040, U+101D), digit seven and letter ra before a vowel sign, ဥ typed for ဉ before ာ or ်, ဉီ for ဦ,
   ၄င်း for ၎င်း. Each pair looks the same in common fonts and is typed for
   the other; none is a spelling difference between two names.
6. Spaces between Burmese characters dropped ("ဗိုလ်ကြီး ထွန်းထွန်း" is one
   name however it is split), other whitespace runs become one space, the
   ends are stripped; Myanmar and Shan digits become ASCII.

Known limits (README, Blind indexes): some short strings are the same code
points in both encodings ("လွ" in Unicode is "လှ" in Zawgyi, "မြ" is "မွ"); with
no marker and a detector score under 0.95 they stay Unicode. A syllable
typed in visual order right after a syllable with no vowel sign ("မေက" for
"မကေ") cannot be told from storage order, and is read as storage order.

Stability: a blind index stores hashes of these results, so any change to
the output (these rules, Python's Unicode version, ICU's Zawgyi rules) needs
``manage.py rebuild_blind_indexes``. tests/vault/test_normalise.py pins known
outputs.

Thread safety: the detector only reads its model. ICU documents const APIs,
such as ``Transliterator::transliterate``, as safe to call concurrently on one
object, and PyICU converts a ``str`` argument into a fresh ICU string per call
and holds the GIL throughout. So one instance of each is shared by all
threads; the lock only guards their creation.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from typing import Any

__all__ = ["ZAWGYI_THRESHOLD", "canonical_identifier", "canonical_name", "from_zawgyi"]

ZAWGYI_THRESHOLD = 0.95
# Above this, text holding a sequence typical of Zawgyi (``_ZAWGYI_LIKELY``) is
# converted: the level the myanmartools authors give for "possibly Zawgyi".
# Unicode Shan and Mon, which use the code points Zawgyi borrowed, score 0.0.
ZAWGYI_MARKED_THRESHOLD = 0.05

_MYANMAR = re.compile("[\u1000-\u109f]")
# Zawgyi text is made of the Myanmar block. Text with none of its letters and
# signs cannot be Zawgyi and skips the detector; that includes values written
# only in Myanmar digits, which the detector cannot judge.
_ZAWGYI_CANDIDATE = re.compile("[\u1000-\u103f\u104a-\u109f]")

_CONSONANT = "\u1000-\u1021"
# Sequences valid Unicode never holds but Zawgyi typing does (what Zawgyi's code
# points stand for as in CLDR's Zawgyi-my transform, which ICU runs here, and
# the Rabbit converter's rules, github.com/Rabbit-Converter; Unicode's order
# from UTN #11): U+1039 is Zawgyi's asat, while Unicode's virama
# always precedes a consonant, stacks only consonants of one row of the
# alphabet (က-row ... ပ-row, as in ဗုဒ္ဓ, ကမ္ဘာ) and writes a stacked-under nga
# as kinzi (with asat); U+103B is Zawgyi's medial ra, typed before its
# consonant, while Unicode's (medial ya) always follows one; U+1031 typed
# before its consonant; the stacked consonants, kinzi, medial and dot-below
# variants Zawgyi fonts put in U+1060..U+1097, next to a Burmese consonant.
_ROWS = ["\u1000-\u1004", "\u1005-\u100a", "\u100b-\u100f", "\u1010-\u1014", "\u1015-\u1019"]
_CROSS_ROW_STACK = "|".join(
    f"[{upper}]\u1039[{''.join(lower for lower in _ROWS if lower != upper)}]" for upper in _ROWS
)
# Invalid in Unicode Burmese: enough on their own.
_ZAWGYI_ONLY = re.compile(
    f"\u1039(?![{_CONSONANT}])|{_CROSS_ROW_STACK}|(?<!\u103a)\u1004\u1039|(?<![{_CONSONANT}\u1039])\u103b"
)
# Also Unicode typed in visual order (U+1031 first), or Unicode Shan, Mon and Karen
# (U+1060..U+1097): they count only with some support from the detector.
_ZAWGYI_LIKELY = re.compile(
    f"(?:^|(?<=[\\s\u102b-\u1030\u1032-\u1038\u103a]))\u1031[{_CONSONANT}\u103b\u107e-\u1084]"
    f"|[{_CONSONANT}][\u1060-\u1097]|[\u107e-\u1084][{_CONSONANT}]"
)
# Sequences Zawgyi never holds: Unicode's asat closing a syllable (Zawgyi's
# U+103A is medial ya, which only a few consonants take, and then a vowel sign
# usually follows, or ေ comes before: Zawgyi "ကျေး" is ေ က ya း; စ is left out
# of the second set, as Zawgyi typists write ဈ as စ and ya),
# Unicode's kinzi (asat, virama, consonant), medial ha U+103E (Zawgyi's is
# U+103D; U+103E is unused), and medial ya U+103B after its consonant and
# before a sign (Zawgyi's U+103B, medial ra, comes before its consonant).
_UNICODE_ONLY = re.compile(
    f"(?<!\u1031)[{_CONSONANT}]\u103a(?:$|[\\s\u1037\u1038])|[\u1004\u1009-\u100b\u100d-\u1014\u101a\u101e]\u103a"
    f"|[\u102b\u102c]\u103a|\u103a\u1039[{_CONSONANT}]|\u103e|[{_CONSONANT}]\u103b(?![{_CONSONANT}])"
)

# Default_Ignorable_Code_Point (Unicode 15, the same set as ICU 72's
# [:Default_Ignorable_Code_Point:]).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)

# Myanmar letters, signs and symbols: U+1000..U+109F less the Myanmar
# digits, the punctuation ၊ ။ and the Shan digits.
_MYANMAR_LETTER = "\u1000-\u103f\u104c-\u108f\u109a-\u109f"
_DIGIT = "0-9\u1040-\u1049\u1090-\u1099"
_ZERO_FOR_WA = re.compile(f"(?<=[{_MYANMAR_LETTER}])\u1040(?![{_DIGIT}])|(?<![{_DIGIT}])\u1040(?=[{_MYANMAR_LETTER}])")
# Digit seven before a vowel sign or medial is the letter ra: a digit takes no signs.
_SEVEN_FOR_RA = re.compile("\u1047(?=[\u102b-\u1032\u1036\u103b-\u103e])")
# ဥ (U, U+1025) typed for ဉ (NYA, U+1009): ဥ takes neither ာ nor asat.
_U_FOR_NYA = re.compile("\u1025(?=[\u102c\u103a])")
# ဉီ (NYA + II) typed for ဦ (UU, U+1026, which NFC also makes of ဥ + ီ).
_NYA_II_FOR_UU = re.compile("[\u1009\u1025]\u102e")
# ၄င်း (digit four) typed for ၎င်း (the symbol "aforementioned", U+104E).
_FOUR_FOR_AFOREMENTIONED = re.compile("\u1044(?=\u1004\u103a\u1038)")
# A space between two Burmese characters: Burmese does not separate syllables
# with spaces, and whether a name is typed as one word or three is chance.
_INNER_SPACE = re.compile(f"(?<=[{_MYANMAR_LETTER}])\\s+(?=[{_MYANMAR_LETTER}])")

_DIGITS = str.maketrans(
    {**{0x1040 + i: str(i) for i in range(10)}, **{0x1090 + i: str(i) for i in range(10)}},
)

# Identifiers: separators of every kind disappear: whitespace, underscores, dots,
# slashes (after NFKC has made full-width ones ASCII), the minus sign, and every
# dash, taken from the Unicode Character Database (Dash_Punctuation, general
# category Pd; all of them lie below U+11000) rather than listed by hand.
_DASHES = "".join(chr(code) for code in range(0x11000) if unicodedata.category(chr(code)) == "Pd")
_SEPARATORS = re.compile(f"[\\s_./\\\\\u2044\u2215\u2212{re.escape(_DASHES)}]+")

# Storage order of a Myanmar syllable, UTN #11 (version 4) table "Unicode storage
# order": kinzi, consonant, asat, stacked consonant, medials ျ ြ ွ ှ, vowel ေ,
# upper vowels ိ ီ ဲ, lower vowels ု ူ, ါ ာ, anusvara, dot below, asat, visarga.
# Dot below is put before the final asat as Unicode's canonical ordering does
# (combining classes 7 and 9), so NFC leaves the result as it is.
_RANK = {
    "\u103b": 3, "\u103c": 4, "\u103d": 5, "\u103e": 6, "\u1031": 7,
    "\u102d": 8, "\u102e": 8, "\u1032": 8, "\u102f": 9, "\u1030": 9, "\u102b": 10, "\u102c": 10,
    "\u1036": 11, "\u1037": 12, "\u103a": 13, "\u1038": 14,
}  # fmt: skip
_EARLY_ASAT, _STACKED = 1, 2
_PREFIXES = "\u1031\u103c"  # drawn left of their consonant: typed first in visual order
_SYLLABLE_END = "\u102b-\u1030\u1032-\u1038\u103a"
# Visual order shows itself by ေ or ြ at the start of the text or of a word, or
# after a sign that closes a syllable, with a consonant to come.
_VISUAL_ORDER = re.compile(
    f"(?:^|(?<=[\\s{_SYLLABLE_END}]))[{_PREFIXES}]{{1,2}}[\u1000-\u102a\u103f\u1040-\u1049\u104e]"
)
_MYANMAR_RUN = re.compile("[\u1000-\u109f]+")

_lock = threading.Lock()
_detector: Any = None
_converter: Any = None


def _zawgyi_tools() -> tuple[Any, Any]:
    """The shared detector and Zawgyi-to-Unicode transliterator, made on first use."""
    global _detector, _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import icu
                from myanmartools import ZawgyiDetector

                with warnings.catch_warnings():
                    # myanmartools 1.2.1 loads its model with importlib.resources.open_binary,
                    # deprecated (on 3.11, 3.12) but working.
                    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"myanmartools\b")
                    _detector = ZawgyiDetector()
                _converter = icu.Transliterator.createInstance("Zawgyi-my")
    return _detector, _converter


def is_zawgyi(value: str) -> bool:
    """Whether ``value`` is taken for Zawgyi: see step 1 of the module's description."""
    if not _ZAWGYI_CANDIDATE.search(value):
        return False
    detector, _converter = _zawgyi_tools()
    if _UNICODE_ONLY.search(value):
        return False
    if _ZAWGYI_ONLY.search(value):
        return True
    probability = detector.get_zawgyi_probability(value)
    if probability > ZAWGYI_THRESHOLD:
        return True
    return probability > ZAWGYI_MARKED_THRESHOLD and _ZAWGYI_LIKELY.search(value) is not None


# A sign with no letter before it: what converting Unicode as if it were Zawgyi leaves.
_ORPHAN_MARK = re.compile("(?:^|(?<=\\s))[\u102b-\u103e]")


def from_zawgyi(value: str) -> str:
    """``value`` converted to Unicode if it is taken for Zawgyi (step 1 above), else ``value`` unchanged."""
    if not is_zawgyi(value):
        return value
    converted = str(_zawgyi_tools()[1].transliterate(value))
    # Unicode typed in visual order (ေ ြ before the consonant) can score as Zawgyi; if
    # converting leaves a sign with no letter, it was not Zawgyi, and step 4 reorders it.
    if _ORPHAN_MARK.search(converted):
        return value
    return converted


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc")


def _syllables(run: str, visual: bool) -> list[list[str]]:
    """``run`` split into syllables: a base character, then its marks as units.

    A stacked consonant (virama and consonant) is one unit of the syllable
    above it. In visual order, ေ and ြ typed before a base belong to it.
    """
    syllables: list[list[str]] = []
    pending: list[str] = []  # visual-order prefixes waiting for their consonant
    i, n = 0, len(run)
    while i < n:
        char = run[i]
        if char == "\u1039" and i + 1 < n and not _is_mark(run[i + 1]) and syllables:
            syllables[-1].append(run[i : i + 2])
            i += 2
            continue
        if visual and char in _PREFIXES and _prefix_of_next(run, i, syllables):
            pending.append(char)
        elif _is_mark(char) and syllables:
            syllables[-1].append(char)
        elif _is_mark(char):
            syllables.append(["", char])  # a mark with nothing before it: kept where it is
        else:
            syllables.append([char, *pending])
            pending = []
        i += 1
    if pending:
        if syllables:
            syllables[-1].extend(pending)
        else:
            syllables.append(["", *pending])
    return syllables


def _prefix_of_next(run: str, i: int, syllables: list[list[str]]) -> bool:
    """Whether the ေ or ြ at ``run[i]`` was typed before the consonant that follows it."""
    rest = run[i + 1 : i + 3].lstrip(_PREFIXES)
    if not rest or _is_mark(rest[0]):
        return False
    # ြ right after a bare consonant is that consonant's medial, typed in storage order.
    return run[i] == "\u1031" or not (i and syllables and len(syllables[-1]) == 1 and syllables[-1][0])


def _unit_rank(unit: str, following: str) -> int:
    if unit[0] == "\u1039":
        return _STACKED
    if unit == "\u103a" and following.startswith("\u1039"):
        return _EARLY_ASAT  # kinzi's asat, before the stacked consonant
    return _RANK[unit]


def _reorder_run(run: str, visual: bool) -> str:
    out = []
    for base, *marks in _syllables(run, visual):
        if all(mark[0] == "\u1039" or mark in _RANK for mark in marks):
            ranked = [
                (_unit_rank(mark, marks[k + 1] if k + 1 < len(marks) else ""), mark) for k, mark in enumerate(marks)
            ]
            marks = [mark for _rank, mark in sorted(ranked, key=lambda pair: pair[0])]
        out.append(base + "".join(marks))
    return "".join(out)


def _out_of_order() -> re.Pattern[str]:
    # Two adjacent marks in decreasing rank, or a mark before a stacked consonant
    # (kinzi's asat excepted): text without any is in storage order already.
    pairs = [
        f"{first}[{''.join(second for second, low in _RANK.items() if low < high)}]"
        for first, high in _RANK.items()
        if any(low < high for low in _RANK.values())
    ]
    before_stack = "".join(mark for mark in _RANK if mark != "\u103a")
    return re.compile("|".join([*pairs, f"[{before_stack}]\u1039"]))


_OUT_OF_ORDER = _out_of_order()


def _reorder(text: str) -> str:
    """Myanmar syllables in UTN #11 storage order, whichever order they were typed in."""
    visual = _VISUAL_ORDER.search(text) is not None
    if not visual and not _OUT_OF_ORDER.search(text):
        return text  # the common case, and ten times faster than sorting every syllable
    return _MYANMAR_RUN.sub(lambda run: _reorder_run(run.group(), visual), text)


def _fold_lookalikes(text: str) -> str:
    text = _ZERO_FOR_WA.sub("\u101d", text)
    text = _SEVEN_FOR_RA.sub("\u101b", text)
    text = _U_FOR_NYA.sub("\u1009", text)
    text = _NYA_II_FOR_UU.sub("\u1026", text)
    return _FOUR_FOR_AFOREMENTIONED.sub("\u104e", text)


def canonical_name(text: str) -> str:
    """``text`` as name blind indexes compare it: a str, possibly empty (nothing but spaces).

    Unicode Burmese in storage order, look-alikes folded, NFKC, case-folded,
    spaces collapsed (and dropped between Burmese characters), ASCII digits.
    Raises TypeError for anything but a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"canonical_name() takes a str, not {type(text).__name__}")
    text = from_zawgyi(text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKC", text.casefold())
    if _MYANMAR.search(text):
        text = _fold_lookalikes(_reorder(text))
        text = unicodedata.normalize("NFC", _INNER_SPACE.sub("", text)).translate(_DIGITS)
    return " ".join(text.split())


def canonical_identifier(text: str) -> str:
    """``text`` as identifier blind indexes compare it: "BC51001" for "bc-51 001"; possibly empty.

    Raises TypeError for anything but a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"canonical_identifier() takes a str, not {type(text).__name__}")
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _SEPARATORS.sub("", text.translate(_DIGITS).upper())
