"""The package's layout is its data flow (issue 17): stages import only from the stages before them, no module
imports the test helpers, and there is no import cycle anywhere.

The layer contract itself lives in pyproject.toml (``[tool.importlinter]``) and is checked by import-linter,
the maintained tool for it; the cycle check walks the same import graph (grimp, import-linter's engine).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]


def test_layer_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def _import_graph() -> nx.DiGraph:
    graph = grimp.build_graph("cryokg", include_external_packages=False, cache_dir=None)
    imports = nx.DiGraph()
    for module in graph.modules:
        imports.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            imports.add_edge(module, imported)
    return imports


def test_no_import_cycles() -> None:
    cycles = list(nx.simple_cycles(_import_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_the_package_never_imports_test_helpers() -> None:
    offenders = [path for path in (ROOT / "src").rglob("*.py")
                 if "from tests" in path.read_text(encoding="utf-8") or "import tests" in path.read_text(encoding="utf-8")]
    assert not offenders, offenders


def test_one_sparql_lexer() -> None:
    """SPARQL text is read by cryokg.rdf.sparql_text only: no other module's regular expressions look for SPARQL
    keywords, variables (``?x``), path modifiers (``*``, ``?``) or codepoint escapes (five regex lexers that
    disagreed were replaced by it, issue 17). Every ``re`` call with a literal pattern is read, through ``ast``."""
    import ast
    import re

    sparql_marks = re.compile(r"\b(?:SELECT|ORDER|WHERE|SERVICE|GRAPH|PREFIX)\b|\[\?\$\]|\[\*\?\]|\[\?\*\]|\\\\\[uU\]",
                              re.IGNORECASE)
    offenders = []
    for path in (ROOT / "src").rglob("*.py"):
        if path.name == "sparql_text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    and sparql_marks.search(node.args[0].value)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[0].value!r}")
    assert not offenders, offenders
