"""The same person however the name was typed, and never two people merged: a table of pairs.

Synthetic Burmese names (syllables drawn from common names) are typed the ways
people type them: in Zawgyi (ICU's my-Zawgyi transform, what a Zawgyi keyboard
gives), in visual order (ေ and ြ before their consonant), with marks in another
order, with look-alike characters, with spaces or zero-width spaces between
syllables. Each form must match the Unicode name. Names that differ by one
meaningful character (a medial, a vowel, a tone mark) must not match, in any
of those forms.

Known ambiguity, excluded from the table and pinned in its own test: some short
strings are the same code points in Unicode and in Zawgyi (Unicode "လွ" is
Zawgyi "လှ"); a one-syllable name made only of such a consonant, medial and
shared vowels keeps its Unicode reading, so its Zawgyi form does not match.
"""

from __future__ import annotations

import itertools
import random

import icu
import pytest

from vault.normalise import canonical_name

# Syllables of Burmese names, in Unicode storage order.
SYLLABLES = [
    "ကို", "မောင်", "အောင်", "ကျော်", "မြင့်", "ထွန်း", "ဝင်း", "လွင်", "စိုး", "သိန်း", "ဇော်", "မင်း",
    "နိုင်", "ညွန့်", "ခင်", "စု", "ကြည်", "သန်း", "ရွှေ", "လှိုင်", "ဒေါ်", "ဉာဏ်", "ဟိန်း", "ထက်",
    "ပြည့်", "ဖြိုး", "ချို", "မြတ်", "နွယ်", "ဖူး", "သူ", "ရဲ", "ကောင်း", "ပိုင်", "ဇင်", "ယု", "မေ", "သီ",
    "ဝေ", "လေး", "ပြုံး", "ချစ်", "ငြိမ်း", "သက်", "ရည်", "တင်", "ထူး", "ဆွေ", "ခိုင်", "ကြိုင်", "မျိုး",
    "ရော", "ဝါ", "ဦး", "ဖြူ", "ညို", "ဆု", "မာ", "နန္ဒာ", "သင်္ချာ", "ကျေး", "ချေး", "မြေး", "ပျော်",
]  # fmt: skip

# One meaningful change to a syllable: another medial, vowel or tone mark.
CHANGES = [
    ("ျ", "ြ"), ("ြ", "ျ"), ("ွ", ""), ("ှ", ""), ("ိ", "ီ"), ("ု", "ူ"), ("ူ", "ု"), ("ေ", "ဲ"),
    ("း", "့"), ("း", ""), ("့", "း"), ("ာ", "ါ"), ("ိုး", "ို"), ("င်", "န်"), ("တ်", "က်"), ("ဝ", "ယ"),
]  # fmt: skip

TO_ZAWGYI = icu.Transliterator.createInstance("my-Zawgyi")


def zawgyi(name: str) -> str:
    return str(TO_ZAWGYI.transliterate(name))


def visual_order(name: str) -> str:
    """ေ and ြ moved before their consonant (and kinzi, stacked consonant, medials), as visual keyboards store them."""
    out: list[str] = []
    start = 0  # where the current syllable's consonant cluster starts in ``out``
    for char in name:
        if char in "ေြ":
            out.insert(start, char)
            continue
        if char.isalpha() and not (out and out[-1] == "္") and char not in "ျွှ":
            start = len(out)
        out.append(char)
    return "".join(out)


def marks_reordered(name: str) -> str:
    """Marks typed in another order than Unicode's: ု before ိ, asat before dot below, ှ before ွ."""
    return name.replace("ို", "ုိ").replace("့်", "့်"[::-1]).replace("ွှ", "ှွ")


def lookalikes(name: str) -> str:
    """The look-alikes people type for each other."""
    return (
        name.replace("ဝ", "၀").replace("ညာ", "ညာ").replace("ဉာ", "ဥာ").replace("ဦ", "ဉီ").replace("ရာ", "၇ာ")
        .replace("ရော", "၇ော").replace("ရေ", "၇ေ")
    )  # fmt: skip


def spaced(syllables: list[str]) -> str:
    return " ".join(syllables)


def zero_width(syllables: list[str]) -> str:
    return "\u200b".join(syllables)


def names(count: int) -> list[list[str]]:
    rng = random.Random(8)
    seen: set[str] = set()
    drawn: list[list[str]] = []
    while len(drawn) < count:
        syllables = rng.sample(SYLLABLES, rng.choice((2, 2, 3)))
        if "".join(syllables) not in seen:
            seen.add("".join(syllables))
            drawn.append(syllables)
    return drawn


def true_pairs() -> list[tuple[str, str, str]]:
    """(how it was typed, typed form, Unicode name): at least 200."""
    pairs = []
    for syllables in names(60):
        name = "".join(syllables)
        forms = {
            "zawgyi": zawgyi(name),
            "visual-order": visual_order(name),
            "marks-reordered": marks_reordered(name),
            "lookalikes": lookalikes(name),
            "spaced": spaced(syllables),
            "zero-width": zero_width(syllables),
            "zawgyi-spaced": zawgyi(spaced(syllables)),
            "visual-lookalikes-spaced": spaced([visual_order(lookalikes(s)) for s in syllables]),
        }
        pairs += [(kind, form, name) for kind, form in forms.items() if form != name]
    return pairs


def false_pairs() -> list[tuple[str, str, str]]:
    """(change, typed form of one name, another name one meaningful character away): at least 200."""
    pairs = []
    for syllables in names(120):
        for position, (old, new) in itertools.product(range(len(syllables)), CHANGES):
            if old not in syllables[position]:
                continue
            changed = [*syllables]
            changed[position] = changed[position].replace(old, new, 1)
            other = "".join(changed)
            if other == "".join(syllables) or other in SYLLABLES:
                continue
            name = "".join(syllables)
            for kind, form in (("unicode", name), ("zawgyi", zawgyi(name)), ("visual", visual_order(name))):
                pairs.append((f"{old}->{new} {kind}", form, other))
    return pairs


TRUE_PAIRS = true_pairs()
FALSE_PAIRS = false_pairs()


def test_the_tables_are_big_enough() -> None:
    assert len(TRUE_PAIRS) >= 200 and len(FALSE_PAIRS) >= 200


def test_every_true_pair_matches_and_no_false_pair_does(capsys: pytest.CaptureFixture[str]) -> None:
    missed = [
        (kind, ascii(typed), name) for kind, typed, name in TRUE_PAIRS if canonical_name(typed) != canonical_name(name)
    ]
    merged = [
        (kind, typed, other) for kind, typed, other in FALSE_PAIRS if canonical_name(typed) == canonical_name(other)
    ]
    with capsys.disabled():
        print(
            f"\nname pairs: {len(TRUE_PAIRS) - len(missed)}/{len(TRUE_PAIRS)} true pairs match "
            f"({100 * (1 - len(missed) / len(TRUE_PAIRS)):.1f}%), "
            f"{len(merged)}/{len(FALSE_PAIRS)} false pairs merged"
        )
    assert missed == []
    assert merged == []


@pytest.mark.parametrize(("unicode", "zawgyi_form"), [("လွ", "လှ"), ("မြ", "မွ")])
def test_a_short_name_that_is_the_same_code_points_in_both_encodings_stays_unicode(
    unicode: str, zawgyi_form: str
) -> None:
    # Zawgyi "လှ" (Hla) is typed U+101C U+103D, which is Unicode "လွ" (Lwa): no rule can
    # tell them apart, and reading Unicode as Zawgyi would break correctly typed names.
    assert zawgyi(zawgyi_form) == unicode
    assert canonical_name(unicode) == unicode
