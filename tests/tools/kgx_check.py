"""Run inside the kgx tool venv: load KGX TSV files with kgx's own Transformer (what ``kgx transform`` does)
and validate them with kgx's own validator (what ``kgx validate`` does). Prints one JSON object: the nodes and
edges kgx loaded, the categories and predicates it read, and the validator's report
(``{level: {error type: {message: [ids]}}}``). Exit 0 when kgx loaded the files, whatever the report says.

Usage: ``python kgx_check.py NODES.tsv EDGES.tsv PREFIXES.json OUT_DIR``

Two things are set up before kgx is imported, because this machine (and CI) has no network and kgx would
download them from GitHub: the Biolink Model comes from the ``biolink-model`` package installed beside kgx
(its ``biolink_model.yaml`` for bmt's Toolkit, its prefix map as the JSON-LD context kgx validates CURIE
prefixes against), and bmt's predicate-mapping table is empty (only ``get_predicate_mapping`` reads it; the
validator does not). The project's own prefixes (PREFIXES.json) are added to that context: they are not in
Biolink's registry, and kgx's configuration (``jsonld-context``) is the place a knowledge graph names them.
Any other download attempt fails loudly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _offline(prefixes: dict[str, str]) -> None:
    import biolink_model
    import bmt.toolkit as toolkit

    package = Path(next(iter(biolink_model.__path__)))

    class _EmptyTable:
        text = "{}"

    def get(url: str, *args: object, **kwargs: object) -> _EmptyTable:
        if url == toolkit.PREDICATE_MAP:
            return _EmptyTable()
        raise RuntimeError(f"kgx tried to download {url}; the tests run without network")

    toolkit.requests.get = get
    toolkit.Toolkit.__init__.__defaults__ = (str(package / "schema" / "biolink_model.yaml"), toolkit.PREDICATE_MAP)
    import kgx.config

    biolink = json.loads((package / "prefixmaps" / "biolink_model_prefix_map.json").read_text())
    kgx.config.get_config()
    kgx.config.jsonld_context_map.update({"biolink": {**biolink, **prefixes}, "monarch_context": {},
                                          "obo_context": {}})
    kgx.config.config["jsonld-context"] = {}  # nothing left to download


def main(argv: list[str]) -> int:
    nodes, edges, prefix_file, out = argv
    _offline(json.loads(Path(prefix_file).read_text()))
    import logging

    from kgx.cli.cli_utils import validate
    from kgx.transformer import Transformer

    logging.disable(logging.INFO)
    transformer = Transformer()
    transformer.transform(input_args={"filename": [nodes, edges], "format": "tsv"},
                          output_args={"filename": str(Path(out) / "loaded"), "format": "tsv"})
    graph = transformer.store.graph
    categories = sorted({c for _, data in graph.nodes(data=True) for c in data.get("category", [])})
    predicates = sorted({data.get("predicate") for _, _, data in graph.edges(data=True)})
    report = validate([nodes, edges], "tsv", None, str(Path(out) / "report.json"))
    print(json.dumps({"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                      "categories": categories, "predicates": predicates, "report": report}, default=sorted))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
