#!/usr/bin/env python3
"""Print how long it takes to validate the real release, and how many shapes and examples there are.

    .venv/bin/python scripts/time_validation.py [--repeat N] [--no-jena]

cryokg's SHACL engine and pyshacl (the reference) are timed in-process (load excluded: the graph and shapes
are parsed first); Jena, when Java and
Debian's libapache-jena-java are installed, is timed as a whole `scripts/jena-shacl` run, JVM start included,
because that is what a user of the wrapper waits for. The numbers are for reading, not for asserting.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import SH

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cryokg.check.validation import load_shapes, validate_graph  # noqa: E402
from cryokg.sources.load import find_shape_files, load_sources  # noqa: E402 - after the path set-up above

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def count_shapes(shapes) -> dict[str, int]:
    """Named node shapes with targets, their property shapes, and the SHACL-SPARQL constraints among them."""
    targeted = {s for p in TARGETS for s in shapes.subjects(p, None) if isinstance(s, URIRef)}
    properties = sum(1 for s in targeted for _ in shapes.objects(s, SH.property))
    all_properties = sum(1 for _ in shapes.subject_objects(SH.path))
    return {"node shapes (targeted)": len(targeted), "property shapes (of those)": properties,
            "property shapes (all, nested included)": all_properties,
            "SPARQL constraints": sum(1 for _ in shapes.subject_objects(SH.sparql))}


def count_examples() -> dict[str, int]:
    sys.path.insert(0, str(ROOT / "tests" / "shapes"))
    import shapes_manifest as manifest

    entries = [e for path in sorted(manifest.EXAMPLES.glob("*.trig")) for e in manifest.examples(path)]
    return {"example files": len(list(manifest.EXAMPLES.glob("*.trig"))),
            "violating examples": sum(1 for e in entries if not e.conforms),
            "conforming examples": sum(1 for e in entries if e.conforms),
            "expected results": sum(len(e.expected) for e in entries)}


def time_jena(shapes, data, repeat: int) -> list[float] | None:
    wrapper = ROOT / "scripts" / "jena-shacl"
    if shutil.which("java") is None or not Path("/usr/share/java/jena-shacl.jar").is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        shapes_file, data_file = Path(tmp) / "shapes.ttl", Path(tmp) / "data.nt"
        shapes.serialize(shapes_file, format="turtle")
        data.serialize(data_file, format="nt", encoding="utf-8")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([str(wrapper), "--shapes", str(shapes_file), "--data", str(data_file)],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine (default 3; the median is shown)")
    parser.add_argument("--no-jena", action="store_true", help="skip the Jena timing")
    args = parser.parse_args()

    start = time.perf_counter()
    data = load_sources(ROOT / "ontology").graph
    shapes_files = find_shape_files(ROOT / "ontology")
    shapes = load_shapes(shapes_files)
    print(f"release: {len(data)} triples; shapes: {len(shapes_files)} files, {len(shapes)} triples "
          f"(loaded in {time.perf_counter() - start:.2f} s)")
    for name, value in {**count_shapes(shapes), **count_examples()}.items():
        print(f"  {name:<40} {value:>5}")

    for engine in ("cryokg", "pyshacl"):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            outcome = validate_graph(data, shapes, shapes_files=shapes_files, engine=engine)
            times.append(time.perf_counter() - start)
        print(f"{engine}: median {statistics.median(times):.3f} s over {len(times)} runs "
              f"(min {min(times):.3f} s); {outcome.summary()}")
    if args.no_jena:
        return 0
    jena = time_jena(shapes, data, args.repeat)
    if jena is None:
        print("jena: not installed (apt-get install -y libapache-jena-java default-jre-headless unzip)")
    else:
        print(f"jena (scripts/jena-shacl, JVM start included): median {statistics.median(jena):.2f} s "
              f"over {len(jena)} runs (min {min(jena):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
