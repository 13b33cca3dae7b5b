"""One size's build, stage by stage, in its own process (``scripts/bench.py`` runs it as a child).

Run as ``python scripts/bench_build.py SOURCES_DIR OUT_JSON [--no-exports] [--keep RELEASE_DIR]``: it times the
stages of ``cryokg build``
(load, reasoning, SHACL validation through :func:`cryokg.release.build.assemble`), then each serialisation and each
graph export one by one into a temporary folder, and writes the timings, the triple counts, the validation
summary and its own peak RSS as JSON. The parent reads the child's peak RSS independently (its ``VmHWM``), so
memory is measured per size, not as the maximum over all children.

Building through ``assemble`` plus the writers, rather than ``release.build``, is what lets every writer be
timed on its own; the writers are the same functions ``release.build`` calls.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["build_stages", "main"]


def _peak_rss_mib() -> float:
    """This process's peak resident memory (``VmHWM``), MiB. Not ``getrusage``'s ``ru_maxrss``: Linux carries the
    parent's peak across fork and exec into it, so a build started by a benchmark that held 3.5 GB reported at
    least 3.5 GB (measured: a child of a 2 GB parent showed 2,061 MiB against a VmHWM of 13 MiB)."""
    return peak_rss_mib(os.getpid())


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory of process *pid* (``VmHWM`` of /proc/PID/status: per address space, so it starts
    again at exec), MiB; 0.0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _timed(timings: dict[str, float], name: str, func):
    start = time.perf_counter()
    result = func()
    timings[name] = time.perf_counter() - start
    print(f"bench_build: {name} {timings[name]:.2f} s (peak {_peak_rss_mib():.0f} MiB)", file=sys.stderr, flush=True)
    return result


def build_stages(sources: Path, *, exports: bool = True, keep: Path | None = None) -> dict:
    """Every stage of a build of *sources*, timed; the result is JSON-ready. With *keep*, the files are written
    there and completed into a release (VoID and manifest, timed too) that ``cryokg serve`` and ``cryokg publish``
    can use, instead of into a temporary folder."""
    from cryokg.gcpause import collector_paused
    from cryokg.release.build import GENERATED_NOTE, INFERRED_NOTE, assemble, asserted_order, entailed_order

    start = time.perf_counter()
    stages: dict[str, float] = {}
    release = assemble(sources)
    for name, key in (("load", "load"), ("reasoning", "reasoning"), ("validation", "validation")):
        stages[name] = release.timings[key]
        print(f"bench_build: {name} {stages[name]:.2f} s", file=sys.stderr, flush=True)
    peak_assembled = _peak_rss_mib()
    print(f"bench_build: peak after load, reasoning and validation {peak_assembled:.0f} MiB", file=sys.stderr, flush=True)
    outcome = release.validation
    prefixes = release.prefixes
    if not _in_store(release):  # the rows that justify reading rdflib's private store (small sources only)
        with collector_paused():  # as in the SHACL validation that uses it
            _subject_tables(release.asserted, stages)
    # The writing stages run with the garbage collector paused, as in cryokg.release.build, and in the order of
    # cryokg.release.build.write_rdf: one sort of the asserted triples into cryokg.nt, the other syntaxes streamed
    # from that file, the closure merged with the sorted entailments (its rows add up to what the build spends).
    with (contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="cryokg-bench-")) as tmp, \
            collector_paused():
        out = Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        ordered = _timed(stages, "write: canonical order + n-triples", lambda: asserted_order(release, out / "cryokg.nt"))

        def write(name: str, writer) -> None:
            with (out / name).open("wb") as handle:
                writer(handle)

        writers = {
            "write turtle": ("cryokg.ttl", lambda h: ordered.write_turtle(h, prefixes, header=GENERATED_NOTE)),
            "write json-ld": ("cryokg.jsonld", ordered.write_jsonld),
            "write rdf/xml": ("cryokg.rdf", lambda h: ordered.write_rdfxml(h, prefixes)),
            "write inferred turtle": ("cryokg-inferred.ttl", lambda h: ordered.union(entailed_order(release, out)).write_turtle(
                h, prefixes, header=INFERRED_NOTE)),
        }
        for name, (file_name, writer) in writers.items():
            _timed(stages, name, lambda file_name=file_name, writer=writer: write(file_name, writer))
        if exports:
            _exports(release, out / "exports", stages)
        if keep:
            _timed(stages, "void and manifest", lambda: _complete(release, out))
    gc.collect()
    return {
        "triples": len(release.asserted),
        "inferred_triples": release.inferred_count,
        "stages": stages,
        "total_s": time.perf_counter() - start,
        "validation": {"conforms": outcome.conforms, "summary": outcome.summary(),
                       "violations": outcome.count("Violation"), "warnings": outcome.count("Warning"),
                       "info": outcome.count("Info")} if outcome else None,
        "peak_rss_mib_self": _peak_rss_mib(),
        "peak_rss_mib_assembled": peak_assembled,
        "store": "on disk (pyoxigraph)" if _in_store(release) else "rdflib memory store",
    }


def _in_store(release) -> bool:
    from cryokg.rdf.store_graph import OxigraphStore

    return isinstance(release.asserted.store, OxigraphStore)


def _subject_tables(graph, stages: dict[str, float]) -> None:
    """The SHACL index's subject table both ways (the row that justifies cryokg.rdf.triple_table's fast path)."""
    from cryokg.rdf import triple_table

    _timed(stages, "subject table: store dictionaries", lambda: triple_table.subject_table(graph))
    _timed(stages, "subject table: public scan", lambda: triple_table.scan(graph))


def _exports(release, out: Path, stages: dict[str, float]) -> None:
    from cryokg.release.exports import EXPORTERS
    from cryokg.release.exports.artifacts import diagram_artifacts, release_view
    from cryokg.release.exports.fhir import write_fhir

    view = _timed(stages, "export: graph view", lambda: release_view(release, out.parent))
    for name, exporter in EXPORTERS.items():
        _timed(stages, f"export: {name}", lambda exporter=exporter, view=view: exporter.write(view, out))
    del view
    _timed(stages, "export: fhir", lambda: write_fhir(release.asserted, out, base=release.base, version=release.version))
    _timed(stages, "diagrams", lambda: diagram_artifacts(release, out.parent))


def _complete(release, out: Path) -> None:
    """VoID and manifest over the files written, as ``cryokg build`` ends (its own functions)."""
    from cryokg.release.build import _manifest, _write, _write_void

    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    _write_void(release, out, names)
    names.append("void.ttl")
    manifest = _manifest(release, out, names)
    _write(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    sources, out_json = Path(argv[0]), Path(argv[1])
    exports = "--no-exports" not in argv
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    result = build_stages(sources, exports=exports, keep=keep)
    out_json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
