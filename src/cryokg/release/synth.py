"""Synthetic cryokg graphs of a chosen size, for benchmarks and scale tests (``cryokg synth``).

Real coding knowledge graphs are small, so nobody can tell from the real release how load, reasoning,
validation, queries and serving grow. This module writes graphs in our own vocabulary that look like the
real one at any size: many code families (three sibling codes each, one per anatomic scope), per-family body
region trees (``cryo:regionPartOf``), deep nerve hierarchies under a plexus (``cryo:branchOf``) whose nerves
lie in those regions, one sourced code assignment per nerve (a few percent ambiguous, with two sourced
candidate assignments instead), a bundling rule per code for the imaging guidance it includes, and a pool of
described sources. The real vocabulary (``ontology/cryokg.ttl`` and ``ontology/vocab/``) is included, and the
individuals the shapes name (``tech:cryoablation``, ``kind:definite`` ...) keep their real IRIs, so the
project's shapes and catalogue queries apply unchanged and the synthetic graph conforms to them.

Output is deterministic for a seed: the same ``(triples, seed)`` always gives the same graph, written with
the project's deterministic writers. Labels are made up (``"deep nerve 12.4"``), never copied text.

Two shapes (``--shape``): ``coding`` (the above) and ``foreign``, the same coding graph at half the size plus
an imported anatomy of about the same number of triples: concepts under a *foreign* namespace
(:data:`FOREIGN_BASE`, as UBERON or SNOMED CT would be), each with a long definition (1 to 4 KB of made-up text),
several synonyms and a place in a deep ``skos:broader`` hierarchy, every nerve mapped to one by
``skos:exactMatch``. It is what a graph that imports the vocabularies it maps to looks like: most IRIs not ours,
and most bytes in literals.

>>> graph = generate(triples=3000, seed=1)
>>> 2700 <= len(graph) <= 3300
True
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, DEFAULT_BASE, SCHEMA, id_namespace, prefixes_for
from cryokg.sources.load import DEFAULT_SOURCES, parse_turtle

__all__ = ["SynthGraph", "generate", "generate_parts", "vocabulary_files", "write_graph", "write_sources"]

Triple = tuple[URIRef, URIRef, URIRef | Literal]

SOURCE_BASE = "https://example.org/cryokg-synth/source/"
"""Synthetic sources live under example.org: they look like the real ones (a URL) and point nowhere."""
FOREIGN_BASE = "https://example.org/cryokg-synth/anatomy/"
"""Where the foreign concepts of the ``foreign`` shape live: not our namespace, and pointing nowhere."""
SHAPES = ("coding", "foreign")
NERVES_PER_FAMILY = (12, 40)
AMBIGUOUS_SHARE = 0.05
FILE_TRIPLES = 100_000
"""Triples per data file of a sources folder: each file stays far below the parser's 50 MiB limit."""

_ADJECTIVES = ("deep", "superficial", "lateral", "medial", "posterior", "anterior", "accessory", "inferior",
               "superior", "recurrent", "common", "proper", "dorsal", "palmar", "plantar", "long", "short")
_ROOTS = ("cutaneous", "muscular", "articular", "digital", "interosseous", "communicating", "genicular",
          "intercostal", "femoral-like", "radial-like", "tibial-like", "ulnar-like", "sural-like")
_ROOT_REGIONS = (("limb a", 0), ("limb b", 1), ("trunk", 2))
_WORDS = ("fascicle", "epineurium", "perineurium", "axon", "myelinated", "branch", "courses", "deep to", "fascia",
          "superficial", "accompanies", "artery", "vein", "pierces", "supplies", "skin", "joint", "capsule",
          "muscle", "innervates", "proximal", "distal", "segment", "emerges", "between", "tendon", "groove", "canal",
          "ligament", "compartment", "sensory", "motor", "fibres", "plexus", "root", "trunk", "division", "cord")


def _lit(text: str) -> Literal:
    return Literal(text, lang="en")


@dataclass
class _Ids:
    """The IRIs of every kind of thing, for one base (``ids.code["0440T"]``; one attribute per kind)."""

    base: str

    if TYPE_CHECKING:
        def __getattr__(self, name: str) -> Namespace: ...

    def __post_init__(self) -> None:
        for kind in ("code", "family", "scope", "anatomy", "assignment", "rule", "scheme", "code-category",
                     "code-status", "technique", "approach", "invasiveness", "guidance", "device", "agent",
                     "effect", "indication", "step", "assignment-kind", "source-kind", "purpose"):
            setattr(self, kind.replace("-", "_"), id_namespace(kind, self.base))


@dataclass
class SynthGraph:
    """A generated graph in parts: ``core`` (vocabulary and shared individuals) and one part per family."""

    core: list[Triple] = field(default_factory=list)
    families: list[list[Triple]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.core) + sum(len(f) for f in self.families)

    def triples(self) -> Iterator[Triple]:
        yield from self.core
        for family in self.families:
            yield from family

    def graph(self) -> Graph:
        result = Graph()
        for prefix, ns in prefixes_for().items():
            result.bind(prefix, ns, override=True)
        result.addN((s, p, o, result) for s, p, o in self.triples())
        return result


def vocabulary_files(root: Path = DEFAULT_SOURCES) -> list[Path]:
    """The ontology header and the vocabulary files, in a stable order."""
    files = [Path(root) / "cryokg.ttl", *sorted((Path(root) / "vocab").glob("*.ttl"))]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise BadInput(f"vocabulary file not found: {', '.join(missing)}")
    return files


def _described(subject: URIRef, cls: URIRef, label: str, definition: str, sources: list[str]) -> list[Triple]:
    out: list[Triple] = [(subject, RDF.type, cls), (subject, SKOS.prefLabel, _lit(label)),
                         (subject, SKOS.definition, _lit(definition))]
    out.extend((subject, DCTERMS.source, URIRef(s)) for s in sources)
    return out


class _Builder:
    def __init__(self, seed: int, base: str) -> None:
        self.rng = random.Random(seed)
        self.ids = _Ids(base)
        self.next_code = 1000
        self.next_source = 0

    # --- shared individuals: the ones the shapes and queries name, plus a few others every code uses -------
    def core(self) -> list[Triple]:
        i, src = self.ids, [SOURCE_BASE + "core"]
        out = self.source(src[0], "core", "2026-01-01")
        scheme = i.scheme["cpt"]
        out += _described(scheme, CRYO.CodeSystem, "synthetic procedure code system", "Holds synthetic codes.", src)
        for name, label in (("cpt-category-i", "category one"), ("cpt-category-iii", "category three")):
            out += _described(i.code_category[name], CRYO.CodeCategory, label, f"Synthetic {label}.", src)
        out += _described(i.code_status["active"], CRYO.CodeStatus, "active", "May be reported.", src)
        out += _described(i.technique["cryoablation"], CRYO.Technique, "cryoablation", "Freezing tissue.", src)
        out += _described(i.technique["heat-ablation"], CRYO.Technique, "heat ablation", "Heating tissue.", src)
        out += [(i.technique["cryoablation"], CRYO.destructive, Literal(True)),
                (i.technique["cryoablation"], CRYO.contrastsWith, i.technique["heat-ablation"])]
        out += _described(i.approach["percutaneous"], CRYO.Approach, "percutaneous", "Through the skin.", src)
        out += _described(i.invasiveness["minimally-invasive"], CRYO.InvasivenessLevel, "minimally invasive",
                          "Small entry.", src)
        out += _described(i.purpose["placement"], CRYO.Purpose, "placement", "Placing an instrument.", src)
        guidance = i.guidance["imaging-guidance"]
        out += _described(guidance, CRYO.ImagingGuidance, "imaging guidance", "Imaging to steer a probe.", src)
        out.append((guidance, CRYO.purpose, i.purpose["placement"]))
        self.guidance_codes = []
        for n, modality in enumerate(("ultrasound", "fluoroscopy", "tomography")):
            node, code = i.guidance[f"{modality}-guidance"], i.code[f"7900{n + 1}"]
            out += _described(node, CRYO.ImagingGuidance, f"{modality} guidance", f"Guidance by {modality}.", src)
            out += [(guidance, CRYO.modality, node), (node, CRYO.guidanceCode, code)]
            out += self.code_common(code, f"7900{n + 1}", "cpt-category-i", f"{modality} guidance code", src)
            out.append((code, CRYO.codeStatus, i.code_status["active"]))
            self.guidance_codes.append(code)
        out += _described(i.device["cryoprobe"], CRYO.Device, "cryoprobe", "A probe that freezes.", src)
        out += _described(i.device["probe-shaft"], CRYO.DevicePart, "probe shaft", "The hollow shaft.", src)
        out += [(i.device["cryoprobe"], CRYO.hasPart, i.device["probe-shaft"]),
                (i.device["probe-shaft"], CRYO.hollow, Literal(True))]
        for name in ("argon", "nitrous-oxide"):
            out += _described(i.agent[name], CRYO.Coolant, name.replace("-", " "), "A synthetic coolant.", src)
            out += [(i.device["probe-shaft"], CRYO.conveys, i.agent[name]),
                    (i.agent[name], CRYO.namedInCodeDescription, Literal(True))]
        out += _described(i.anatomy["myelin"], CRYO.Tissue, "myelin", "Sheath around nerve fibres.", src)
        out += _described(i.effect["conduction-block"], CRYO.Effect, "conduction block", "Signals stop.", src)
        out.append((i.effect["conduction-block"], CRYO.actsOn, i.anatomy["myelin"]))
        out += _described(i.indication["chronic-pain"], CRYO.Indication, "chronic pain", "Lasting pain.", src)
        steps = [i.step[name] for name in ("insert", "freeze", "withdraw")]
        for order, step in enumerate(steps, start=1):
            out += _described(step, CRYO.ProcedureStep, f"step {order}", f"Step {order} of the procedure.", src)
            out.append((step, CRYO.stepOrder, Literal(order)))
        out += [(steps[0], CRYO.nextStep, steps[1]), (steps[1], CRYO.nextStep, steps[2]),
                (steps[0], CRYO.stepDevice, i.device["cryoprobe"]), (steps[0], CRYO.stepGuidance, guidance)]
        self.steps = steps
        for name in ("definite", "candidate"):
            out += _described(i.assignment_kind[name], CRYO.AssignmentKind, name, f"A {name} assignment.", src)
        out += [(i.source_kind["payer"], RDF.type, CRYO.SourceKind),
                (i.source_kind["payer"], SKOS.prefLabel, _lit("payer")),
                (i.source_kind["payer"], SKOS.definition, _lit("A synthetic payer."))]
        return out

    def code_common(self, code: URIRef, notation: str, category: str, label: str, src: list[str]) -> list[Triple]:
        i = self.ids
        out = _described(code, CRYO.ProcedureCode, label, f"Synthetic code {notation}.", src)
        return [*out, (code, SKOS.notation, Literal(notation)), (code, SKOS.inScheme, i.scheme["cpt"]),
                (code, SCHEMA.codingSystem, Literal("CPT")), (code, CRYO.codeCategory, i.code_category[category])]

    def sources(self, count: int) -> tuple[list[Triple], list[str]]:
        out, urls = [], []
        for _ in range(count):
            url = f"{SOURCE_BASE}{self.next_source}"
            self.next_source += 1
            out += self.source(url, str(self.next_source - 1),
                               f"2026-0{1 + self.rng.randrange(9)}-1{self.rng.randrange(10)}")
            urls.append(url)
        return out, urls

    def source(self, url: str, name: str, checked: str) -> list[Triple]:
        """A described source, as the real ones are: label, title, publisher, kind, date checked, definition."""
        node = URIRef(url)
        return [(node, RDF.type, CRYO.Source), (node, SKOS.prefLabel, _lit(f"synthetic source {name}")),
                (node, DCTERMS.title, Literal(f"Synthetic source {name}")),
                (node, DCTERMS.publisher, Literal(f"Synthetic publisher {int(name) % 97 if name.isdigit() else 0}")),
                (node, CRYO.sourceKind, self.ids.source_kind["payer"]),
                (node, CRYO.checkedOn, Literal(checked, datatype=XSD.date)),
                (node, SKOS.definition, _lit("A made-up public document that synthetic facts cite."))]

    def pick(self, urls: list[str], n: int = 1) -> list[str]:
        return self.rng.sample(urls, min(n, len(urls)))

    # --- one code family with its regions, nerves, assignments and rules ---------------------------------
    def family(self, f: int, budget: int) -> list[Triple]:
        """Family *f*; it stops adding nerves (keeping at least two) once it would exceed *budget* triples."""
        i, rng = self.ids, self.rng
        out, urls = self.sources(3)
        fam = i.family[f"synth-{f}"]
        category = "cpt-category-iii" if self.next_code + 3 <= 9999 and f % 4 else "cpt-category-i"
        out += _described(fam, CRYO.CodeFamily, f"synthetic family {f}", f"Three sibling codes, family {f}.",
                          self.pick(urls))
        out += [(fam, SKOS.inScheme, i.scheme["cpt"]), (fam, CRYO.codeCategory, i.code_category[category]),
                (fam, SKOS.notation, Literal(f"F{f}")), (i.scheme["cpt"], SKOS.hasTopConcept, fam)]
        roots, regions = [], []  # regions: (iri, root index)
        for name, k in _ROOT_REGIONS:
            root = i.anatomy[f"f{f}-{name.replace(' ', '-')}"]
            out += _described(root, CRYO.BodyRegion, f"{name} {f}", f"Body region {name} of family {f}.", self.pick(urls))
            roots.append(root)
            regions.append((root, k))
            frontier = [root]
            for depth in range(2):
                children = []
                for parent in frontier:
                    for c in range(2):
                        region = URIRef(f"{parent}-{c}")
                        out += _described(region, CRYO.BodyRegion, f"{name} {f} part {region[-(2 * depth + 3):]}",
                                          "A part of a larger body region.", self.pick(urls))
                        out += [(region, CRYO.regionPartOf, parent), (region, SKOS.altLabel, _lit(f"region {region[-8:]}"))]
                        children.append(region)
                        regions.append((region, k))
                frontier = children
        codes = []
        for k, root in enumerate(roots):
            notation = f"{self.next_code:04d}T" if category == "cpt-category-iii" else f"{20000 + self.next_code:05d}"
            self.next_code += 1
            code, scope, rule = i.code[notation], i.scope[f"synth-{f}-{k}"], i.rule[f"synth-{f}-{k}-guidance"]
            out += self.code_common(code, notation, category, f"cryoablation of a nerve, family {f} scope {k}",
                                    self.pick(urls, 2))
            out += [(code, SKOS.broader, fam), (code, SKOS.altLabel, _lit(f"code {notation}")),
                    (code, CRYO.codeStatus, i.code_status["active"]), (code, CRYO.anatomicScope, scope),
                    (code, CRYO.method, i.technique["cryoablation"]), (code, CRYO.approach, i.approach["percutaneous"]),
                    (code, CRYO.invasiveness, i.invasiveness["minimally-invasive"]),
                    (code, CRYO.includesGuidance, i.guidance["imaging-guidance"]),
                    (code, CRYO.usesDevice, i.device["cryoprobe"]), (code, CRYO.minimumDeviceCount, Literal(1)),
                    (code, CRYO.coolant, i.agent["argon"]), (code, CRYO.targetStructure, i.anatomy["myelin"]),
                    (code, CRYO.intendedEffect, i.effect["conduction-block"]),
                    (code, CRYO.indication, i.indication["chronic-pain"])]
            out += [(code, CRYO.hasStep, step) for step in self.steps]
            out += _described(scope, CRYO.AnatomicScope, f"nerves of {_ROOT_REGIONS[k][0]} {f}",
                              "Which structures the code covers.", self.pick(urls))
            out += [(scope, CRYO.scopeRegion, root), (scope, CRYO.scopeStructureType, CRYO.Nerve)]
            out += _described(rule, CRYO.BundlingRule, f"{notation}: guidance included", "Guidance is part of it.",
                              self.pick(urls))
            out += [(rule, CRYO.appliesTo, code), (rule, CRYO.reason, _lit("The code already includes guidance."))]
            out += [(rule, CRYO.notReportedWith, g) for g in self.guidance_codes]
            codes.append(code)
        plexus = i.anatomy[f"f{f}-plexus"]
        out += [(i.scope[f"synth-{f}-2"], CRYO.scopeStructureType, CRYO.NervePlexus),
                (i.scope[f"synth-{f}-2"], CRYO.scopeExample, plexus)]
        out += _described(plexus, CRYO.NervePlexus, f"plexus {f}", "Where nerve roots mix.", self.pick(urls))
        out += [(plexus, CRYO.locatedIn, roots[2]), (plexus, SKOS.altLabel, _lit(f"nerve plexus {f}"))]
        out += self.assignment(plexus, codes[2], "definite", urls)
        nerves = [(plexus, 2)]
        for n in range(rng.randint(*NERVES_PER_FAMILY)):
            if n >= 2 and len(out) + 24 > budget:
                break
            parent, parent_root = nerves[-1] if n and rng.random() < 0.6 else rng.choice(nerves)
            k = parent_root if parent != plexus else rng.randrange(3)
            region = rng.choice([r for r, rk in regions if rk == k])
            nerve = i.anatomy[f"f{f}-nerve-{n}"]
            name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_ROOTS)} nerve {f}.{n}"
            out += _described(nerve, CRYO.Nerve, name, "A synthetic peripheral nerve.", self.pick(urls))
            out += [(nerve, CRYO.locatedIn, region), (nerve, CRYO.branchOf, parent),
                    (nerve, SKOS.altLabel, _lit(f"n {f}.{n}"))]
            if rng.random() < AMBIGUOUS_SHARE:
                out.append((nerve, CRYO.codingAmbiguous, Literal(True)))
                out += self.assignment(nerve, codes[k], "candidate", urls)
                out += self.assignment(nerve, codes[(k + 1) % 3], "candidate", urls)
            else:
                out += self.assignment(nerve, codes[k], "definite", urls)
            nerves.append((nerve, k))
        return out

    def foreign(self, family: list[Triple], f: int) -> list[Triple]:
        """The imported anatomy for one family: a foreign concept per nerve of *family* (mapped from it by
        ``skos:exactMatch``), under a chain of broader foreign concepts, each with long made-up text."""
        rng = self.rng
        nerves = [s for s, p, o in family if p == RDF.type and o == CRYO.Nerve]
        scheme = URIRef(FOREIGN_BASE + "scheme")
        out: list[Triple] = []
        parents = [URIRef(f"{FOREIGN_BASE}F{f:06d}_{depth}") for depth in range(3)]
        for depth, concept in enumerate(parents):
            out += self.concept(concept, scheme, f"region concept {f}.{depth}")
            if depth:
                out.append((concept, SKOS.broader, parents[depth - 1]))
        for n, nerve in enumerate(nerves):
            concept = URIRef(f"{FOREIGN_BASE}N{f:06d}_{n:03d}")
            out += self.concept(concept, scheme, f"foreign nerve {f}.{n}")
            out += [(concept, SKOS.broader, parents[-1] if n == 0 or rng.random() < 0.3 else
                     URIRef(f"{FOREIGN_BASE}N{f:06d}_{rng.randrange(n):03d}")),
                    (nerve, SKOS.exactMatch, concept)]
        return out

    def concept(self, node: URIRef, scheme: URIRef, name: str) -> list[Triple]:
        rng = self.rng
        words = rng.choices(_WORDS, k=rng.randint(150, 600))
        definition = f"Made-up definition of {name}: " + " ".join(words) + "."
        out: list[Triple] = [(node, RDF.type, SKOS.Concept), (node, SKOS.inScheme, scheme),
                             (node, SKOS.prefLabel, _lit(name)), (node, SKOS.definition, _lit(definition)),
                             (node, SKOS.notation, Literal(str(node).rsplit("/", 1)[-1]))]
        out += [(node, SKOS.altLabel, _lit(f"{name} synonym {k} " + " ".join(rng.choices(_WORDS, k=4))))
                for k in range(rng.randint(1, 4))]
        return out

    def assignment(self, structure: URIRef, code: URIRef, kind: str, urls: list[str]) -> list[Triple]:
        i = self.ids
        node = i.assignment[f"{str(structure).rsplit('/', 1)[-1]}-{str(code).rsplit('/', 1)[-1]}"]
        out = _described(node, CRYO.CodeAssignment, f"cryoablation of {str(structure)[-14:]}",
                         "Which code reports freezing this structure.", self.pick(urls, 1 + self.rng.randrange(2)))
        return [*out, (node, CRYO.structure, structure), (node, CRYO.technique, i.technique["cryoablation"]),
                (node, CRYO.assignedCode, code), (node, CRYO.assignmentKind, i.assignment_kind[kind]),
                (node, CRYO.reason, _lit("It lies in the region this code covers."))]


def _vocabulary(root: Path) -> list[Triple]:
    return [t for path in vocabulary_files(root) for t in parse_turtle(path)]


def generate_parts(*, triples: int = 10_000, seed: int = 0, base: str = DEFAULT_BASE,
                   sources: Path = DEFAULT_SOURCES, shape: str = "coding") -> SynthGraph:
    """Generate a graph of about *triples* triples (within ±10 % above a few thousand), in parts; *shape* is one of
    :data:`SHAPES` (see the module docstring)."""
    if shape not in SHAPES:
        raise BadInput(f"unknown --shape {shape!r}; choose one of {', '.join(SHAPES)}")
    if triples < 1000:
        raise BadInput(f"--triples must be at least 1000 (the vocabulary alone is several hundred), got {triples}")
    if base != DEFAULT_BASE:
        raise BadInput("synthetic graphs use the default base IRI; rebase them with `cryokg build --base-iri`")
    builder = _Builder(seed, base)
    result = SynthGraph(core=_vocabulary(sources) + builder.core())
    total = len(result)
    f = 0
    while total < triples:
        family = builder.family(f, budget=(triples - total) // (2 if shape == "foreign" else 1))
        if shape == "foreign":
            family += builder.foreign(family, f)
        if total + len(family) - triples > triples - total and result.families:
            break  # adding it would overshoot more than stopping undershoots
        result.families.append(family)
        total += len(family)
        f += 1
    return result


def generate(*, triples: int = 10_000, seed: int = 0, base: str = DEFAULT_BASE) -> Graph:
    """One rdflib graph of about *triples* triples, the same for the same *seed*."""
    return generate_parts(triples=triples, seed=seed, base=base).graph()


def write_graph(graph: Graph, out: Path) -> Path:
    """Write *graph* as N-Triples (``.nt``) or Turtle (``.ttl``) with the deterministic writers."""
    from cryokg.release.writers import to_ntriples, to_turtle

    out = Path(out)
    if out.suffix not in (".nt", ".ttl"):
        raise BadInput(f"{out}: the output name must end in .nt (N-Triples) or .ttl (Turtle)")
    text = to_ntriples(graph) if out.suffix == ".nt" else to_turtle(graph, header="Synthetic cryokg graph (cryokg synth).")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", newline="\n")
    return out


def write_sources(parts: SynthGraph, folder: Path, *, sources: Path = DEFAULT_SOURCES) -> list[Path]:
    """Lay *parts* out as a sources folder that ``cryokg build --sources FOLDER`` reads.

    The real header, vocabulary, shapes and queries are copied; the synthetic individuals go to
    ``data/synth-NNN.ttl`` files of about :data:`FILE_TRIPLES` triples each. Returns the data files written.
    """
    from cryokg.release.writers import to_turtle

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(sources) / "cryokg.ttl", folder / "cryokg.ttl")
    for sub in ("vocab", "shapes", "queries"):
        if (Path(sources) / sub).is_dir():
            shutil.copytree(Path(sources) / sub, folder / sub, dirs_exist_ok=True)
    vocab = set(_vocabulary(sources))
    chunks: list[list[Triple]] = [[t for t in parts.core if t not in vocab]]
    for family in parts.families:
        if len(chunks[-1]) >= FILE_TRIPLES:
            chunks.append([])
        chunks[-1].extend(family)
    (folder / "data").mkdir(exist_ok=True)
    for stale in (folder / "data").glob("synth-*.ttl"):  # left by an earlier, larger graph
        stale.unlink()
    written = []
    for n, chunk in enumerate(chunks):
        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in chunk)
        path = folder / "data" / f"synth-{n:03d}.ttl"
        path.write_text(to_turtle(graph, header="Synthetic cryokg data (cryokg synth) - generated, do not edit."),
                        encoding="utf-8", newline="\n")
        written.append(path)
    return written
