"""The JSON Schemas (draft 2020-12) of the ``--json`` output of ``cryokg claim``, ``check`` and ``suggest``, shipped in
the package (``cryokg/answer/schemas/*.schema.json``) so that programs reading the output can validate it.

``claim.schema.json`` refers to definitions of ``check.schema.json`` by its ``$id``; :func:`schema_resources` gives
every schema by ``$id`` for a validator's registry (the ``referencing`` library's ``Registry``).
"""

from __future__ import annotations

import json
from importlib import resources

__all__ = ["SCHEMA_NAMES", "load_schema", "schema_resources"]

SCHEMA_NAMES = ("claim", "check", "suggest")


def load_schema(name: str) -> dict:
    """The schema of one command's JSON output (``claim``, ``check`` or ``suggest``)."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"no JSON Schema for {name!r}; there are: {', '.join(SCHEMA_NAMES)}")
    text = resources.files("cryokg.answer").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict = json.loads(text)
    return schema


def schema_resources() -> dict[str, dict]:
    """Every shipped schema by its ``$id``."""
    return {schema["$id"]: schema for schema in map(load_schema, SCHEMA_NAMES)}
