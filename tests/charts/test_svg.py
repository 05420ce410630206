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
