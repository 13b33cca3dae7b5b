"""The KGX export in the hands of the ``kgx`` library itself (kgx 2.7.0 in its own venv, tests/tools):
its Transformer loads the files (what ``kgx transform`` does) and its validator (``kgx validate``) reports
nothing, not even a warning, with the Biolink Model of the ``biolink-model`` package and the project's own
prefixes declared. A file with a non-Biolink predicate gets an error, so the validator does check.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.tools import run_tool

from cryokg.namespaces import PREFIXES
from cryokg.release.exports import kgx
from cryokg.release.graphview import to_networkx


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _kgx(folder: Path, out: Path) -> dict:
    prefixes = out / "prefixes.json"
    prefixes.write_text(json.dumps(PREFIXES), encoding="utf-8")
    result = run_tool("kgx", "kgx_check.py", str(folder / "nodes.tsv"), str(folder / "edges.tsv"), str(prefixes),
                      str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def written(release, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kgx")
    kgx.KGXExporter().write(to_networkx(release), out)
    return out / "kgx"


@pytest.fixture(scope="module")
def checked(written, tmp_path_factory) -> dict:
    return _kgx(written, tmp_path_factory.mktemp("kgx-run"))


@pytest.mark.external  # kgx, in its own venv
def test_kgx_loads_every_node_and_edge(written, checked) -> None:
    nodes, edges = _rows(written / "nodes.tsv"), _rows(written / "edges.tsv")
    assert checked["nodes"] == len(nodes)
    # kgx keys its graph's edges by (subject, predicate, object): rows sharing all three become one edge
    assert checked["edges"] == len({(e["subject"], e["predicate"], e["object"]) for e in edges})
    assert set(checked["categories"]) == {c for n in nodes for c in n["category"].split("|")}
    assert set(checked["predicates"]) == {e["predicate"] for e in edges}


@pytest.mark.external
def test_kgx_validate_reports_nothing(checked) -> None:
    assert checked["report"] == {}, json.dumps(checked["report"], indent=1)[:4000]


@pytest.mark.external
def test_kgx_validate_catches_a_non_biolink_predicate(written, tmp_path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "nodes.tsv").write_bytes((written / "nodes.tsv").read_bytes())
    lines = (written / "edges.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split("\t")
    cells[2] = cells[4]  # our own predicate CURIE in the predicate column, as the export used to write it
    (broken / "edges.tsv").write_text(lines[0] + "\t".join(cells) + "".join(lines[2:]), encoding="utf-8")
    report = _kgx(broken, tmp_path)["report"]
    assert "INVALID_EDGE_PREDICATE" in report.get("ERROR", {}), report


def test_columns_and_mappings(written) -> None:
    nodes, edges = _rows(written / "nodes.tsv"), _rows(written / "edges.tsv")
    assert tuple(nodes[0]) == kgx.NODE_COLUMNS and tuple(edges[0]) == kgx.EDGE_COLUMNS
    assert all(c.startswith("biolink:") for n in nodes for c in n["category"].split("|"))
    assert all(e["predicate"].startswith("biolink:") and e["original_predicate"] for e in edges)
    by_original = {(e["original_predicate"], e["predicate"]) for e in edges}
    assert ("cryo:locatedIn", "biolink:located_in") in by_original
    assert ("skos:exactMatch", "biolink:exact_match") in by_original
    assert ("cryo:relatedCode", "biolink:related_to") in by_original
    nerves = [n for n in nodes if "cryo:Nerve" in n["original_category"].split("|")]
    assert nerves and all(n["category"] == "biolink:GrossAnatomicalStructure" for n in nerves)
    cited = [n for n in nodes if n["publications"]]
    assert cited and all(url.startswith(("http://", "https://")) for n in cited for url in n["publications"].split("|"))
    assert any(n["id"].startswith("SNOMEDCT:") for n in nodes), "SNOMED CT mapping targets get Biolink's prefix"
