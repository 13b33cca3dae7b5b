"""The JSON Schemas shipped for the --json output of `claim`, `check` and `suggest` (issue 15): each is a valid
draft 2020-12 schema (the metaschema, through jsonschema's Draft202012Validator.check_schema), real outputs of the
commands - run as a user runs them, through the CLI - validate against them, and outputs that are wrong fail."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from cryokg.answer.json_schemas import SCHEMA_NAMES, load_schema, schema_resources
from cryokg.cli import main

ROOT = Path(__file__).resolve().parents[1]
NOTES = tomllib.loads((ROOT / "tests" / "data" / "claim_notes.toml").read_text(encoding="utf-8"))["note"]


def validator(name: str) -> Draft202012Validator:
    registry: Registry = Registry().with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in schema_resources().items())
    return Draft202012Validator(load_schema(name), registry=registry)


def cli_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    main([*argv, "--json"])
    out: dict = json.loads(capsys.readouterr().out)
    return out


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schemas_are_package_data() -> None:
    from importlib import resources

    shipped = {p.name for p in resources.files("cryokg.answer").joinpath("schemas").iterdir()}
    assert {f"{n}.schema.json" for n in SCHEMA_NAMES} <= shipped
    assert "answer/schemas/*.schema.json" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


CLAIM_CASES = [n for n in NOTES if n["id"] in {
    "genicular-left-knee-iovera-cgs", "intercostal-bilateral-t4-t6-nuss", "superficial-radial-us-76942-listed",
    "auriculotemporal-not-covered", "obturator-hip-disputed", "morton-invalid-dx", "tibial-ankle-cgs-l34370-retired",
    "genicular-draft-64624-three-units"}]


@pytest.mark.parametrize("note", CLAIM_CASES, ids=lambda n: n["id"])
def test_claim_output_validates(note: dict, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["claim", note["text"]] + (["--payer", note["payer"]] if "payer" in note else []) \
        + (["--setting", note["setting"]] if "setting" in note else []) + (["--dx", *note["dx"]] if note.get("dx") else [])
    validator("claim").validate(cli_json(argv, capsys))


@pytest.mark.parametrize("argv", [
    ["check", "0440T", "76942"],
    ["check", "0441T", "--site", "common plantar digital nerve", "--dx", "G57.62", "M17.1", "--payer", "anthem",
     "--setting", "office"],
    ["check", "0443T"],
])
def test_check_output_validates(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    validator("check").validate(cli_json(argv, capsys))


@pytest.mark.parametrize("argv", [
    ["suggest", "superomedial and inferomedial genicular nerves, left knee"],
    ["suggest", "suprascapular nerve"],
    ["suggest", "stellate ganglion block"],
    ["suggest", "the weather was fine"],
])
def test_suggest_output_validates(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    validator("suggest").validate(cli_json(argv, capsys))


def _break(output: dict, change) -> dict:  # type: ignore[no-untyped-def]
    broken = copy.deepcopy(output)
    change(broken)
    return broken


def test_wrong_outputs_fail(capsys: pytest.CaptureFixture[str]) -> None:
    """The schemas are not vacuous: a real output changed in one place no longer validates."""
    claim = cli_json(["claim", "Cryoablation of the superficial radial nerve. Charge sheet: 0440T, 76942."], capsys)
    check = cli_json(["check", "0440T", "76942"], capsys)
    suggest = cli_json(["suggest", "radial nerve"], capsys)
    wrong = [
        ("claim", _break(claim, lambda o: o["lines"][0].update(units=0))),
        ("claim", _break(claim, lambda o: o["lines"][0].update(units="two"))),
        ("claim", _break(claim, lambda o: o["lines"][0].update(origin="guessed"))),
        ("claim", _break(claim, lambda o: o.pop("verified"))),
        ("claim", _break(claim, lambda o: o["findings"][0].update(severity="Error"))),
        ("claim", _break(claim, lambda o: o["lines"][0].update(code="ambiguous", candidates=[]))),
        ("check", _break(check, lambda o: o.update(conforms="no"))),
        ("check", _break(check, lambda o: o["findings"][0].pop("rule"))),
        ("suggest", _break(suggest, lambda o: o.update(codes=["not a code"]))),
        ("suggest", _break(suggest, lambda o: o.pop("answers"))),
    ]
    for name, output in wrong:
        with pytest.raises(ValidationError):
            validator(name).validate(output)
