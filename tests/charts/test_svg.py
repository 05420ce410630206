import re
import xml.etree.ElementTree as ET

import pytest

from charts.svg import bar_chart


def test_a_chart_carries_no_script_no_style_and_escapes_its_labels():
    svg = bar_chart(
        ["Army", "<script>alert(1)</script>", 'Navy" onload="x'],
        [("Placed", [3, 4, None]), ("Free", [5, 1, 2])],
        title="Beds & <b>rooms</b>",
        value_title="beds",
        stacked=True,
    )
    assert svg.startswith("<svg")
    assert "<script" not in svg and "<style" not in svg
    assert not re.search(r"\sstyle=", svg)
    attributes = [name for element in ET.fromstring(svg).iter() for name in element.attrib]
    assert attributes and not [name for name in attributes if name.lower().startswith("on")]
    assert "&lt;script&gt;" in svg
    assert "http" not in svg.replace("http://www.w3.org/", "")  # nothing fetched from elsewhere


def test_a_missing_value_draws_no_bar_and_the_same_chart_is_the_same_bytes():
    one = bar_chart(["Q1", "Q2"], [("Intakes", [12, None])], title="Intakes", value_title="people")
    assert one == bar_chart(["Q1", "Q2"], [("Intakes", [12, None])], title="Intakes", value_title="people")
    assert one.count('aria-roledescription="bar"') == 1  # one bar, not two


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        bar_chart(["a", "b", "c"], [("s", [1, 2])], title="t", value_title="v")


def _bars(svg: str) -> list[tuple[str, float]]:
    """(accessible name, left edge) of each bar, in drawing order."""
    found = re.findall(r'aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="bar" d="M([\d.]+),', svg)
    return [(name, float(x)) for name, x in found]


def test_stacked_segments_run_left_to_right_as_given_and_counts_get_whole_ticks():
    svg = bar_chart(["Riverside"], [("Occupied", [3]), ("Free", [2])], title="Beds", value_title="beds", stacked=True)
    (occupied, occupied_x), (free, free_x) = sorted(_bars(svg), key=lambda bar: bar[1])
    assert (occupied, occupied_x) == ("Riverside, Occupied: 3", 0)  # the first series starts at zero
    assert free == "Riverside, Free: 2" and free_x > 0
    assert not re.search(r">\d+\.\d+</text>", svg)  # no "2.5 beds" on the axis


def test_a_long_label_is_shortened_on_the_axis_and_whole_in_the_bar_name():
    name = "Mae Sot women's house on the north road, second floor"
    svg = bar_chart([name], [("Open cases", [4])], title="Open cases", value_title="cases")
    assert _bars(svg) == [(f"{name}: 4", 0)]
    assert f">{name}</text>" not in svg
    assert ">Mae Sot women" in svg and "…</text>" in svg
