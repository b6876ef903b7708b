"""The committed JSON Schema is the one the models generate, and it accepts what the loader
accepts: editors that complete from it must agree with `richcompose config`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from richcompose.config.parse import parse_documents
from richcompose.config.schema import render

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "richcompose.schema.json"
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def _loadable_files() -> list[Path]:
    """Golden project files that load without errors and need no interpolation."""
    files = []
    for case in sorted(GOLDEN.iterdir()):
        rc = case / "expected.rc"
        if not rc.exists() or rc.read_text().strip() != "0":
            continue
        for path in sorted(case.rglob("*.yaml")):
            text = path.read_text()
            if "${" not in text and "!reset" not in text and "!override" not in text:
                files.append(path)
    return files


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == render(), (
        "schemas/richcompose.schema.json is stale: run `make schema` and commit it")


@pytest.mark.parametrize("path", _loadable_files(), ids=lambda p: str(p.relative_to(GOLDEN)))
def test_schema_accepts_files_the_loader_accepts(path: Path,
                                                 validator: jsonschema.Draft202012Validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for data, _ in parse_documents(path.read_text(), str(path))
              for e in validator.iter_errors(data)]
    assert errors == []


def test_schema_rejects_a_misspelt_service_key(validator: jsonschema.Draft202012Validator) -> None:
    data = {"services": {"web": {"image": "a", "enviroment": {"A": "1"}}}}
    assert not validator.is_valid(data)


def test_schema_allows_extensions_anywhere(validator: jsonschema.Draft202012Validator) -> None:
    data = {"x-top": 1, "services": {"web": {"image": "a", "x-note": {"any": "thing"}}}}
    assert validator.is_valid(data)


def test_rich_keys_are_described_for_editors() -> None:
    service = json.loads(SCHEMA_FILE.read_text())["$defs"]["Service"]["properties"]
    for key in ("rich", "rich_mode", "initscript", "initcmd", "initscript_timeout",
                "system_services", "rootfs"):
        assert service[key].get("description"), key
    assert service["rich_mode"]["anyOf"][0]["enum"] == ["dumb-init", "sbin-init", "systemd"]
