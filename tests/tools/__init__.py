"""Outside validators (kgx, sssom-py), each in a virtualenv of its own under ``.venv-tools/NAME``.

Why not in the ``test`` extra: kgx 2.7.0 and sssom 0.4.21 cannot be installed together (kgx pins
``click<8.2``; the linkml releases sssom needs want ``click>=8.2``), kgx installs at all only with the pins
below (its own ranges admit linkml-map and linkml releases that conflict with it), and sssom's dependency
chain brings a pytest plugin (pytest-logging, 2015) and an rdflib plugin package (rdflib-jsonld) into the
environment the suite tests. So each tool gets its own venv, made from the pins in ``pyproject.toml``
(``[tool.cryokg.tool-venvs]``), and the tests run the tool's own CLI or Python API there, in a subprocess.

``python -m tests.tools`` makes every venv (``scripts/run test`` calls it before pytest); :func:`tool_python`
makes one on first use when pytest is run directly. A venv is rebuilt when its pins change (a stamp file
holds their hash). The tools get no network beyond the package index while installing; the runner scripts
beside this file keep them off the network when they run (kgx would fetch the Biolink model from GitHub).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / ".venv-tools"
HERE = Path(__file__).resolve().parent


def pins() -> dict[str, list[str]]:
    """Tool name -> pip requirements, from ``[tool.cryokg.tool-venvs]`` in pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return dict(tomllib.load(handle)["tool"]["cryokg"]["tool-venvs"])


def tool_python(name: str) -> Path:
    """The Python of tool *name*'s venv, made (or remade, when its pins changed) if needed."""
    requirements = pins()[name]
    venv = VENVS / name
    python = venv / "bin" / "python"
    stamp = venv / ".cryokg-pins"
    wanted = hashlib.sha256(json.dumps(requirements).encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"tests.tools: setting up {venv.relative_to(ROOT)} ({' '.join(requirements)})", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
                   check=True, timeout=1800)
    stamp.write_text(wanted)
    return python


def run_tool(name: str, script: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``tests/tools/<script>`` with tool *name*'s Python; output captured as text."""
    return subprocess.run([str(tool_python(name)), str(HERE / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def main() -> int:
    for name in pins():
        tool_python(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
