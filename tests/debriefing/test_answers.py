"""Answers as typed: numbers in any script's digits (text boxes, never <input type=number>), and
line breaks counted as the browser counts them."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from debriefing import structure as st
from debriefing.models import DebriefSession, SectionAnswers

pytestmark = pytest.mark.django_db


def autosave(client: Client, session: DebriefSession, section: str, data: dict):  # type: ignore[no-untyped-def,type-arg]
    body = {**data, "version": "0", "save_token": str(uuid.uuid4())}
    return client.post(f"/debriefing/{session.pk}/{section}/", body, HTTP_X_AUTOSAVE="1")


def stored(session: DebriefSession, section: str) -> dict:  # type: ignore[type-arg]
    return SectionAnswers.objects.get(session=session, section=section).answers


DECIMAL = {"key": "distance", "type": "decimal", "label": {"en": "Distance (km)"}, "min": 0, "max": 1000}
INTEGER = {"key": "strength", "type": "integer", "label": {"en": "Strength"}, "min": 0, "max": 100000}


def clean(question: dict, value: str):  # type: ignore[no-untyped-def,type-arg]
    form = st.SectionForm({question["key"]: value}, section={"questions": [question]}, entries={})
    return form.answers() if form.is_valid() else form.errors[question["key"]]


def test_number_questions_are_text_boxes_that_ask_for_a_digit_keyboard(dbc, session):
    page = dbc.get(f"/debriefing/{session.pk}/unit/").content.decode()
    box = re.search(r"<input[^>]*name=\"unit_strength\"[^>]*>", page)[0]  # type: ignore[index]
    assert 'type="text"' in box and 'inputmode="numeric"' in box
    assert 'type="number"' not in page
    decimal_box = st.SectionForm(section={"questions": [DECIMAL]}, entries={})["distance"].as_widget()
    assert 'type="text"' in decimal_box and 'inputmode="decimal"' in decimal_box


@pytest.mark.parametrize(
    ("typed", "number"),
    [("၁၅", 15), ("၄၀၀", 400), ("١٢", 12), ("15", 15), (" ၀၇ ", 7), ("+3", 3)],
)
def test_digits_of_any_script_are_stored_as_the_number(dbc, session, typed, number):
    response = autosave(dbc, session, "unit", {"unit_name": "x", "unit_strength": typed})
    assert response.status_code == 200, response.content
    assert stored(session, "unit")["unit_strength"] == number


@pytest.mark.parametrize("typed", ["300-400", "about 300", "၁၅ ယောက်", "1_000", "1,000", "15.5", "1e3", "٣.", "--3"])
def test_anything_but_one_whole_number_is_refused_naming_the_question(dbc, session, typed):
    response = autosave(dbc, session, "unit", {"unit_name": "x", "unit_strength": typed})
    assert response.status_code == 400
    assert "Approximate strength" in response.json()["error"] and "whole number" in response.json()["error"]
    assert response.json()["fields"] == ["unit_strength"]
    assert not SectionAnswers.objects.filter(session=session).exists()


def test_a_number_out_of_the_questions_range_is_refused(dbc, session):
    response = autosave(dbc, session, "background", {"service_years": "၉၀၀"})
    assert response.status_code == 400 and "Years of service: Write a number of at most 60" in response.json()["error"]
    assert not SectionAnswers.objects.filter(session=session).exists()


def test_the_save_button_shows_the_refused_number_in_its_box_with_the_question_named(dbc, session):
    body = {
        "unit_name": "Sentinel unit 3318",
        "unit_strength": "300-400",
        "version": "0",
        "save_token": str(uuid.uuid4()),
    }
    response = dbc.post(f"/debriefing/{session.pk}/unit/", body)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="300-400"' in page and "Sentinel unit 3318" in page
    assert "Approximate strength: Write one whole number in digits" in page
    assert not SectionAnswers.objects.filter(session=session).exists()


@pytest.mark.parametrize(
    ("typed", "stored_as"),
    [("၁၅.၂၅", "15.25"), ("12.50", "12.5"), ("1000", "1000"), (".5", "0.5"), ("٧", "7")],
)
def test_a_decimal_in_any_scripts_digits_is_stored_as_plain_digits(typed, stored_as):
    assert clean(DECIMAL, typed) == {"distance": stored_as}


@pytest.mark.parametrize("typed", ["1.2.3", "1e3", "3-4", "NaN", "Infinity", "1,5", "1.1234567", "၁၀၀၀၀"])
def test_a_decimal_that_is_not_one_number_in_range_is_refused(typed):
    assert isinstance(clean(DECIMAL, typed), list)


def test_an_integer_of_more_than_eighteen_digits_is_refused():
    assert clean({**INTEGER, "max": None}, "9" * 18) == {"strength": int("9" * 18)}
    assert clean({**INTEGER, "max": None}, "9" * 19) == ["Write at most 18 digits."]


def test_a_decimal_stored_in_exponent_form_before_is_shown_as_plain_digits():
    assert st.from_json(DECIMAL, "1E+3") == "1000"
    assert (
        st.to_json(
            st.SectionForm({"distance": "1000"}, section={"questions": [DECIMAL]}, entries={})
            .fields["distance"]
            .clean("1000")
        )
        == "1000"
    )


def test_a_long_answer_at_the_limit_with_line_breaks_is_saved(dbc, session):
    """The browser counts each line break as one character (maxlength) and sends CRLF."""
    typed = ("a" * 99 + "\r\n") * 100  # 10,000 characters as the browser counts them, 10,100 sent
    response = autosave(dbc, session, "background", {"training": typed})
    assert response.status_code == 200, response.content
    assert stored(session, "background")["training"] == ("a" * 99 + "\n") * 99 + "a" * 99  # trailing break stripped
    too_long = "a" * 10_000 + "\r\nb"
    assert autosave(dbc, session, "unit", {"command_chain": too_long}).status_code == 400
    assert not SectionAnswers.objects.filter(session=session, section="unit").exists()


def test_a_lone_carriage_return_is_a_line_break_too():
    question = {"key": "story", "type": "long_text", "label": {"en": "Story"}}
    assert clean(question, "one\rtwo\r\nthree") == {"story": "one\ntwo\nthree"}
