"""Run inside the sssom tool venv: parse each SSSOM TSV file with sssom-py and validate it against the SSSOM
schema. Prints one JSON object per file ({"file", "ok", "mappings", "errors"}); exit 1 when any file fails.

Validation types: JsonSchema (the SSSOM LinkML schema), PrefixMapCompleteness (every CURIE's prefix is in the
curie_map) and StrictCurieFormat; sssom-py's Shacl and Sparql types raise NotImplementedError in 0.4.21.
"""

from __future__ import annotations

import json
import logging
import sys


def check(path: str) -> dict:
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    try:
        msdf = parse_sssom_table(path)
        validate(msdf, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
                        SchemaValidationType.StrictCurieFormat], fail_on_error=True)
    except Exception as exc:  # any failure of the tool is the answer to report
        return {"file": path, "ok": False, "errors": f"{type(exc).__name__}: {exc}"}
    return {"file": path, "ok": True, "mappings": len(msdf.df), "errors": ""}


def main(paths: list[str]) -> int:
    logging.disable(logging.WARNING)
    results = [check(path) for path in paths]
    for result in results:
        print(json.dumps(result))
    return 0 if results and all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
