"""Normalisation of values before keyed blind-index hashing.

A blind index only finds exact matches, so everything that a person would call
"the same name" has to become the same string first. ``normalise`` does, in
order:

1. Zawgyi to Unicode. Burmese is still typed daily in the legacy Zawgyi
   encoding, which reuses Myanmar code points for glyph shapes and stores
   them in visual order, so the same name in Zawgyi and in Unicode shares
   almost no code points. Text holding Myanmar letters goes through
   Google's Zawgyi detector (``myanmartools``); when it is Zawgyi, ICU's
   ``Zawgyi-my`` transform (the CLDR rules) converts it. Text without
   Myanmar letters (Latin, dates, numbers in Myanmar digits) skips all of
   this and never loads ICU.
2. Invisible characters removed: every Default_Ignorable_Code_Point (ZWSP,
   ZWNJ, ZWJ, word joiner, BOM, soft hyphen, bidi controls, variation
   selectors, ...), as Unicode's NFKC_Casefold does. They are deleted, not
   turned into spaces: ZWSP is a line-break hint inside Burmese words and
   names, so "A<ZWSP>B" must match "AB", not "A B". This runs before NFKC so
   that no invisible character blocks canonical reordering.
3. NFKC (full-width letters and digits, ligatures, compatibility spaces).
   Canonical reordering also puts Burmese dot below (U+1037) before asat
   (U+103A), whichever order they were typed in.
4. Case folding, then NFKC again, since case folding can produce text that
   is not NFKC (e.g. U+01F0): this makes the result idempotent.
5. Whitespace runs (every character ``str.isspace`` accepts: tabs, newlines,
   U+3000, U+1680, the U+001C..U+001F separators, ...) become one ASCII space;
   the ends are stripped.
6. Digits: MYANMAR DIGIT ZERO (U+1040) standing inside a Burmese word, with a
   Myanmar letter or sign beside it and no digit beside it, is MYANMAR LETTER
   WA (U+101D): the two look the same and are typed for each other all the
   time. ICU's Zawgyi rules do this only at the ends of the text or after a
   sign, and so miss Zawgyi "ေန၀င္း" (Ne Win: the zero follows the consonant
   na); doing it here, for Unicode as well, keeps the two encodings
   matching. Then Myanmar digits (U+1040..U+1049) and Shan digits
   (U+1090..U+1099) become ASCII 0-9.

Detection threshold: text counts as Zawgyi when the detector's probability is
above 0.95. The myanmartools authors recommend 0.95 where conversion happens
automatically (fewer than 1% of Unicode strings flagged) and 0.05 only where
a person reviews the result. A wrong conversion mangles a correctly typed
Unicode name (ICU's rules reorder and remap marks), so false positives are
the costlier error here. Short Unicode names sit close to the line: "မြ"
(Mya, one of the commonest name syllables) scores 0.80 and "မြမြ" 0.79, and
converting them would give "မွ" and "မွမွ". Zawgyi names of one or two
syllables can stay below 0.95 and are then left as they are; some short
strings are the same code points in both encodings ("လွ" in Unicode is
"လှ" in Zawgyi), and no detector can tell those apart.

Stability: a blind index stores hashes of these results, so any change to
the output (these rules, Python's Unicode version, ICU's Zawgyi rules) needs
the indexes rebuilt. tests/vault/test_normalise.py pins known outputs.

Thread safety: the detector only reads its model. ICU documents const APIs,
such as ``Transliterator::transliterate``, as safe to call concurrently on one
object (rule-based transliterators lock their shared rule data inside ICU),
and PyICU converts a ``str`` argument into a fresh ICU string per call and
holds the GIL throughout. So one instance of each is shared by all threads;
the lock only guards their creation.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from typing import Any

__all__ = ["ZAWGYI_THRESHOLD", "normalise"]

ZAWGYI_THRESHOLD = 0.95

_MYANMAR = re.compile("[\u1000-\u109f]")
# Zawgyi text is made of the Myanmar block. Text with none of its letters and
# signs cannot be Zawgyi and skips the detector; that includes values written
# only in Myanmar digits (service numbers), which the detector cannot judge.
_ZAWGYI_CANDIDATE = re.compile("[\u1000-\u103f\u104a-\u109f]")

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

_DIGITS = str.maketrans(
    {**{0x1040 + i: str(i) for i in range(10)}, **{0x1090 + i: str(i) for i in range(10)}},
)

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


def _from_zawgyi(value: str) -> str:
    if not _ZAWGYI_CANDIDATE.search(value):
        return value
    detector, converter = _zawgyi_tools()
    if detector.get_zawgyi_probability(value) > ZAWGYI_THRESHOLD:
        return str(converter.transliterate(value))
    return value


def normalise(value: str) -> str:
    """``value`` as compared by blind indexes: Unicode Burmese, NFKC, case-folded, spaces collapsed, ASCII digits."""
    if not isinstance(value, str):
        raise TypeError(f"normalise() takes a str, not {type(value).__name__}")
    text = _from_zawgyi(value)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = " ".join(text.split())
    if _MYANMAR.search(text):
        text = _ZERO_FOR_WA.sub("\u101d", text).translate(_DIGITS)
    return text
