"""The strict pydantic base every project model shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from richcompose.config.units import parse_bytes, parse_duration

# What the files may say where a short syntax is normalised: the JSON Schema shows these input
# types (so an editor accepts `ports: ["80:80"]`), the model keeps the long form.
Scalar = str | int | float | bool | None
CommandInput = str | list[str] | None
MappingInput = dict[str, Scalar] | list[str]
DurationInput = str | int | float | None
SizeInput = str | int | None
NumberInput = str | int | float | None
StringListInput = str | list[str | int]


class Model(BaseModel):
    """Strict base: unknown keys are errors (with a did-you-mean hint), except `x-*` extensions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False,
                              json_schema_extra={"patternProperties": {"^x-": {}}})

    @model_validator(mode="before")
    @classmethod
    def _drop_extensions(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data


def normalised(*fields: str, by: Callable[[Any], Any], written_as: Any) -> Any:
    """A validator that turns what the files say for `fields` into the form the model keeps,
    with `by`, before pydantic checks them; the JSON Schema shows `written_as` (what the files
    may say). Assign it in the model's body: `_ports = normalised("ports", by=..., ...)`."""

    def before(cls: type[Model], value: Any) -> Any:
        return by(value)

    return field_validator(*fields, mode="before", json_schema_input_type=written_as)(before)


def duration(value: Any) -> Any:
    """Seconds from compose's duration notation; None stays None."""
    return None if value is None else parse_duration(value)


def in_bytes(value: Any) -> Any:
    """Bytes from compose's size notation (`512m`, `1g`); None stays None."""
    return None if value is None else parse_bytes(value)


def number(value: Any) -> Any:
    """`cpus: "0.5"` and other numbers written as strings (often from interpolation)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


class KeyProblem(ValueError):
    """A validator's complaint about one key of the mapping being validated (None: the mapping
    itself), so the error can point at that key's line and say what to do."""

    def __init__(self, key: str | None, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.key, self.message, self.hint = key, message, hint
