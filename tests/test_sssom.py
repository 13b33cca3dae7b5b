"""SSSOM mapping tables: the project's files pass sssom-py's own parser and SSSOM-schema validation (sssom
0.4.21 in its own venv, tests/tools), and the loader reads the metadata block as YAML with ``curies``,
refusing bad headers with the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.tools import run_tool

from cryokg.errors import SourceError
from cryokg.sources.sssom import load_sssom

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = sorted((ROOT / "ontology" / "mappings").glob("*.sssom.tsv"))
TABLE = ("subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\tmapping_date\t"
         "see_also\n"
         "anat:x\tx\tskos:exactMatch\tUBERON:0001\tthing\tsemapv:ManualMappingCuration\t2026-11-27\thttps://e.org/\n")
HEADER = ("#curie_map:\n#  anat: https://w3id.org/cryokg/id/anatomy/\n#  UBERON: http://purl.obolibrary.org/obo/UBERON_\n"
          "#  skos: http://www.w3.org/2004/02/skos/core#\n#  semapv: https://w3id.org/semapv/vocab/\n"
          "#mapping_set_id: https://w3id.org/cryokg/mappings/test\n#license: https://creativecommons.org/licenses/by/4.0/\n")


def _sssom_py(*paths: Path) -> list[dict]:
    result = run_tool("sssom", "sssom_check.py", *map(str, paths))
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.mark.external  # sssom-py, in its own venv
def test_mapping_files_pass_sssom_py() -> None:
    assert MAPPINGS
    results = _sssom_py(*MAPPINGS)
    assert [r["ok"] for r in results] == [True] * len(MAPPINGS), results
    for path, result in zip(MAPPINGS, results, strict=True):
        rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
        assert result["mappings"] == len(rows) - 1, path.name


@pytest.mark.external
def test_sssom_py_rejects_a_broken_table(tmp_path: Path) -> None:
    """The validator bites: an undeclared prefix and a justification outside SEMAPV fail it."""
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text(HEADER + TABLE.replace("semapv:ManualMappingCuration", "semapv:Guesswork")
                      .replace("UBERON:0001", "NOPE:0001"), encoding="utf-8")
    good = tmp_path / "good.sssom.tsv"
    good.write_text(HEADER + TABLE, encoding="utf-8")
    results = _sssom_py(broken, good)
    assert [r["ok"] for r in results] == [False, True], results


def test_loader_reads_the_yaml_header(tmp_path: Path) -> None:
    path = tmp_path / "x.sssom.tsv"
    path.write_text(HEADER.replace("#", "# ") + TABLE, encoding="utf-8")  # "# key:" works as well as "#key:"
    triples = list(load_sssom(path))
    assert any(str(o) == "http://purl.obolibrary.org/obo/UBERON_0001" for _, _, o in triples)


@pytest.mark.parametrize(("header", "message", "line"), [
    (HEADER.replace("#  anat: https://w3id.org/cryokg/id/anatomy/", "#  anat: a: b"), "not valid YAML", 2),
    ("#mapping_set_id: https://w3id.org/x\n", "no curie_map", 1),
    ("#- a list\n", "YAML mapping", 1),
    (HEADER.replace("#  skos: http://www.w3.org/2004/02/skos/core#", "#  skos: https://w3id.org/cryokg/id/anatomy/"),
     "curie_map", 1),
])
def test_loader_refuses_bad_headers(tmp_path: Path, header: str, message: str, line: int) -> None:
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(header + TABLE, encoding="utf-8")
    with pytest.raises(SourceError, match=message) as caught:
        list(load_sssom(path))
    assert caught.value.line == line


def test_loader_names_the_line_of_an_unknown_prefix(tmp_path: Path) -> None:
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(HEADER + TABLE.replace("UBERON:0001", "NOPE:0001"), encoding="utf-8")
    with pytest.raises(SourceError, match="NOPE:0001") as caught:
        list(load_sssom(path))
    assert caught.value.line == HEADER.count("\n") + 2
