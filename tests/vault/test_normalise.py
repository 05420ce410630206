"""vault.normalise: what blind indexes treat as the same value.

Names are public figures or made up. Zawgyi strings are written as escapes:
shown in a Unicode font they look broken, which is the point of converting them.
"""

from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor

import icu
import pytest

from vault import normalise as normalise_module
from vault.normalise import normalise

# Unicode Burmese names; each has a Zawgyi form that differs from it.
BURMESE_NAMES = [
    "အောင်ဆန်းစုကြည်",  # Aung San Suu Kyi
    "မောင်မောင်",  # Maung Maung
    "ကျော်ဇင်",  # Kyaw Zin
    "နေဝင်း",  # Ne Win
    "သန်းရွှေ",  # Than Shwe
    "ခင်ညွန့်",  # Khin Nyunt
    "မင်းအောင်လှိုင်",  # Min Aung Hlaing
    "ဦးနု",  # U Nu
    "ဒေါ်ခင်ကြည်",  # Daw Khin Kyi
    "ဗိုလ်ကြီး ထွန်းထွန်း",  # Captain Tun Tun
]


def to_zawgyi(text: str) -> str:
    """The Zawgyi a Zawgyi keyboard gives for ``text``, from ICU's reverse transform."""
    return str(icu.Transliterator.createInstance("my-Zawgyi").transliterate(text))


def test_letters_are_case_folded() -> None:
    assert normalise("AUNG San") == normalise("aung san") == "aung san"
    assert normalise("STRASSE") == normalise("Straße") == "strasse"


def test_full_width_letters_and_digits_equal_ascii() -> None:
    assert normalise("Ｋｙａｗ　Ｚｉｎ　１２３") == normalise("Kyaw Zin 123") == "kyaw zin 123"


def test_compatibility_forms_become_plain_letters() -> None:
    assert normalise("ﬁnn") == normalise("Finn")
    assert normalise("Ⅳ") == normalise("iv")


def test_whitespace_runs_become_one_space_and_the_ends_are_stripped() -> None:
    value = " \t Aung\u00a0\u00a0San\n\r\nSuu\u3000\u2003Kyi\u1680 "
    assert normalise(value) == "aung san suu kyi"


def test_a_zero_width_space_inside_a_burmese_name_disappears() -> None:
    assert normalise("အောင်\u200bဆန်း\u200bစုကြည်") == normalise("အောင်ဆန်းစုကြည်")


def test_a_zero_width_space_does_not_split_a_latin_name_either() -> None:
    assert normalise("Aung\u200bSan") == "aungsan"


def test_a_zero_width_space_beside_a_real_space_leaves_one_space() -> None:
    assert normalise("Aung \u200b San\u200b \u200bSuu") == "aung san suu"


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202a", "\ufe00"],
    ids=["ZWSP", "ZWNJ", "ZWJ", "word-joiner", "BOM", "soft-hyphen", "LRM", "LRE", "VS1"],
)
def test_invisible_formatting_characters_make_no_difference(invisible: str) -> None:
    assert normalise(f"မင်း{invisible}အောင်") == normalise("မင်းအောင်")
    assert normalise(f"{invisible}Kyaw{invisible} Zin{invisible}") == "kyaw zin"


def test_every_default_ignorable_code_point_is_removed() -> None:
    ignorable = icu.UnicodeSet("[:Default_Ignorable_Code_Point:]")
    kept = [
        f"U+{code:04X}"
        for index in range(ignorable.getRangeCount())
        for code in range(ord(ignorable.getRangeStart(index)), ord(ignorable.getRangeEnd(index)) + 1)
        if normalise(f"a{chr(code)}b") != "ab"
    ]
    assert kept == []


def test_the_separator_between_indexed_fields_cannot_appear_in_a_value() -> None:
    # vault.fields joins the normalised values of a multi-field index with U+001F.
    assert "\x1f" not in normalise("Aung\x1fSan")
    assert normalise("Aung\x1fSan") == "aung san"


def test_myanmar_digits_equal_ascii_digits() -> None:
    assert normalise("၀၁၂၃၄၅၆၇၈၉") == normalise("0123456789") == "0123456789"


def test_shan_digits_equal_ascii_digits() -> None:
    assert normalise("႐႑႒႓႔႕႖႗႘႙") == "0123456789"


def test_a_service_number_matches_whichever_digits_it_was_typed_with() -> None:
    assert normalise("တပ်ရင်း ၁၀၂") == normalise("တပ်ရင်း 102") == normalise("တပ်ရင်း　１０２")
    assert normalise("ဗ/၁၂၃၄၅") == normalise("ဗ/12345")


def test_a_digit_zero_typed_for_wa_inside_a_name_reads_as_wa() -> None:
    # U+1040 MYANMAR DIGIT ZERO and U+101D MYANMAR LETTER WA look the same.
    assert normalise("နေ\u1040င်း") == normalise("နေ\u101dင်း") == "နေဝင်း"
    assert normalise("\u1040ဏ္ဏ") == normalise("ဝဏ္ဏ")


def test_a_zero_among_digits_stays_a_digit() -> None:
    assert normalise("၁၀၅") == "105"
    assert normalise("၀") == "0"
    assert normalise("မ၀၁၂") == "မ012"
    assert normalise("တပ်ရင်း ၁၀") == "တပ်ရင်း 10"


@pytest.mark.parametrize("name", BURMESE_NAMES)
def test_a_zawgyi_name_matches_its_unicode_form(name: str) -> None:
    zawgyi = to_zawgyi(name)
    assert zawgyi != name
    assert normalise(zawgyi) == normalise(name) == name


@pytest.mark.parametrize(
    ("zawgyi", "unicode"),
    [
        # Aung San Suu Kyi, typed with the plain medial-ra glyph (U+103B) rather
        # than the wide one (U+107E) that ICU's reverse transform picks.
        (
            "\u1031\u1021\u102c\u1004\u1039\u1006\u1014\u1039\u1038\u1005\u102f\u103b\u1000\u100a\u1039",
            "အောင်ဆန်းစုကြည်",
        ),
        # Khin Nyunt, with the plain nya and dot below instead of the variant glyphs.
        ("\u1001\u1004\u1039\u100a\u103c\u1014\u1037\u1039", "ခင်ညွန့်"),
        # Myint, asat typed before and after the dot below.
        ("\u103b\u1019\u1004\u1039\u1037", "မြင့်"),
        ("\u103b\u1019\u1004\u1037\u1039", "မြင့်"),
        # Ne Win, with the digit zero that Zawgyi typists use for wa.
        ("\u1031\u1014\u1040\u1004\u1039\u1038", "နေဝင်း"),
        # "Human rights" and "Bangladesh", from the Zawgyi test data of myanmartools.
        ("\u101c\u1030\u1094\u1021\u1001\u103c\u1004\u1037\u1039\u1031\u101b\u1038", "လူ့အခွင့်ရေး"),
        ("\u1018\u1002\u1064\u101c\u102c\u1038\u1031\u1012\u101b\u103d\u1039\u1095", "ဘင်္ဂလားဒေရှ့်"),
    ],
    ids=[
        "aung-san-suu-kyi",
        "khin-nyunt",
        "myint-asat-first",
        "myint-dot-first",
        "ne-win",
        "human-rights",
        "bangladesh",
    ],
)
def test_zawgyi_typed_by_hand_converts_to_the_known_unicode(zawgyi: str, unicode: str) -> None:
    # The expected values are spelled out so that a change in ICU's Zawgyi rules,
    # which would change stored blind-index tags, fails here first.
    assert normalise(zawgyi) == unicode


def test_unicode_typed_with_asat_before_the_dot_below_matches_the_standard_order() -> None:
    assert normalise("\u1019\u103c\u1004\u103a\u1037") == normalise("\u1019\u103c\u1004\u1037\u103a") == "မြင့်"


@pytest.mark.parametrize(
    "name",
    [
        *BURMESE_NAMES,
        "မြ",  # Mya: the detector gives it 0.80, and converting it would make it "မွ"
        "မြမြ",  # Mya Mya
        "စိုးစိုး",  # Soe Soe
        "ကိုကို",  # Ko Ko
    ],
)
def test_unicode_burmese_is_not_altered_by_the_zawgyi_step(name: str) -> None:
    assert normalise(name) == name


@pytest.mark.parametrize(
    "text",
    ["ၸၢႆးလႅင်း", "ၼၢင်းႁွမ်", "ဘာသာမန်"],
    ids=["shan-sai-leng", "shan-nang-hom", "mon-language"],
)
def test_shan_and_mon_in_unicode_are_not_taken_for_zawgyi(text: str) -> None:
    # These use the code points Zawgyi borrowed; converting them would wreck them.
    assert normalise(text) == unicodedata.normalize("NFKC", text)


def test_a_mixed_latin_and_burmese_value_keeps_both() -> None:
    zawgyi = to_zawgyi("မောင်မောင်")
    assert normalise(f"MAUNG  Maung ({zawgyi})") == normalise("maung maung (မောင်မောင်)") == "maung maung (မောင်မောင်)"


def test_latin_text_changes_only_in_case_width_and_spacing() -> None:
    assert normalise("  O'Brien-Smith, J.  #42/b ") == "o'brien-smith, j. #42/b"
    assert normalise("aung san") == "aung san"


def test_latin_text_and_myanmar_numbers_never_reach_the_zawgyi_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("Zawgyi tools loaded for text without Myanmar letters")

    monkeypatch.setattr(normalise_module, "_zawgyi_tools", refuse)
    assert normalise("Ｋｙａｗ Zin") == "kyaw zin"
    assert normalise("2024-05-01") == "2024-05-01"
    assert normalise("၁၂၃၄၅ ၆") == "12345 6"


def test_an_empty_string_stays_empty() -> None:
    assert normalise("") == ""


def test_a_value_of_only_spaces_and_invisible_characters_becomes_empty() -> None:
    assert normalise(" \t\u200b\u3000\n") == ""


def test_normalising_twice_changes_nothing() -> None:
    values = [
        *BURMESE_NAMES,
        *(to_zawgyi(name) for name in BURMESE_NAMES),
        "နေ၀င်း",
        "Ｋｙａｗ　Ｚｉｎ",
        "\u01f0",  # case folding decomposes it; the second NFKC composes it again
        "ß ǅ ﬁ Ⅻ",
        "တပ်ရင်း ၁၀၂",
    ]
    for value in values:
        once = normalise(value)
        assert normalise(once) == once, ascii(value)


def test_only_strings_are_accepted() -> None:
    with pytest.raises(TypeError):
        normalise(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        normalise(b"Aung San")  # type: ignore[arg-type]


def test_threads_get_the_same_results_as_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Start from nothing so that the threads also race to create the shared tools.
    monkeypatch.setattr(normalise_module, "_detector", None)
    monkeypatch.setattr(normalise_module, "_converter", None)
    values = [form for name in BURMESE_NAMES for form in (name, to_zawgyi(name))] * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(normalise, values))
    assert results == [normalise(value) for value in values]
    assert set(results) == set(BURMESE_NAMES)
