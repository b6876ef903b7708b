"""Interpolation follows the compose specification, operator by operator."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from richcompose.config.interpolate import Template, TemplateError

ENV = {"SET": "value", "EMPTY": ""}


def sub(text: str) -> str:
    return Template(ENV).substitute(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("$SET", "value"), ("${SET}", "value"), ("a${SET}b", "avalueb"), ("$SET-x", "value-x"),
    ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${SET:-d}", "value"),
    ("${UNSET-d}", "d"), ("${EMPTY-d}", ""),
    ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
    ("${UNSET:-${SET}}", "value"), ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("$$SET", "$SET"), ("$${SET}", "${SET}"), ("$(cmd) $1 $", "$(cmd) $1 $"),
    ("${UNSET:-a}}", "a}"),
])
def test_operator(text: str, expected: str) -> None:
    assert sub(text) == expected


def test_unset_variable_is_empty_and_recorded() -> None:
    template = Template(ENV)
    assert template.substitute("x${UNSET}y") == "xy"
    assert template.missing == ["UNSET"]


def test_default_of_a_set_variable_is_not_evaluated() -> None:
    assert sub("${SET:-${GONE:?never raised}}") == "value"


@pytest.mark.parametrize("text", ["${UNSET:?need it}", "${EMPTY:?need it}", "${UNSET?need it}"])
def test_required_variable_missing_is_an_error_with_its_message(text: str) -> None:
    with pytest.raises(TemplateError, match="required variable .* is missing a value: need it"):
        sub(text)


def test_required_with_dash_form_accepts_an_empty_value() -> None:
    assert sub("${EMPTY?need it}") == ""


@pytest.mark.parametrize("text", ["${", "${SET", "${}", "${1X}", "${SET!x}"])
def test_malformed_braces_are_errors(text: str) -> None:
    with pytest.raises(TemplateError):
        sub(text)


@given(st.text().filter(lambda t: "$" not in t))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert sub(text) == text


@given(st.text())
def test_escaped_text_comes_back_verbatim(text: str) -> None:
    assert sub(text.replace("$", "$$")) == text
