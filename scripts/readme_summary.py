"""Write the build summary shown in README.md's quick start from a real build, or check that it is current.

The README promises that the block after "`scripts/run build` prints what it built" is what the command prints for
the current sources (counts, validation, file sizes and checksums). It is generated, never typed: this script builds
the sources into a temporary folder with ``cryokg build`` (the command itself, in this process), puts the printed
summary in the block, and writes it back (``--check``: exit 1 and say so when the README differs, for the tests).
Two things of the printed text are machine-specific and shown as placeholders: the build folder's path and
the time taken.

    .venv/bin/python scripts/readme_summary.py          # rewrite the block
    .venv/bin/python scripts/readme_summary.py --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
INTRO = "`scripts/run build` prints what it built"
FIRST_LINE = re.compile(r"^(cryokg \S+: built )\S+ from \S+ (\(\d+ source files\)) in [\d.]+ s$")


def build_summary() -> str:
    """What ``cryokg build`` prints for the project's sources, with the folder and the time as placeholders."""
    from cryokg.cli import main

    with tempfile.TemporaryDirectory(prefix="cryokg-readme-") as folder:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["build", "--sources", str(ROOT / "ontology"), "--out", str(Path(folder) / "build")])
    if status != 0:
        raise SystemExit(f"cryokg build failed (exit {status}); fix the sources first")
    lines = out.getvalue().splitlines()
    match = FIRST_LINE.match(lines[0])
    if match is None:
        raise SystemExit(f"unexpected first line of the summary: {lines[0]!r}")
    lines[0] = f"{match[1]}build/ from ontology {match[2]} in N s"
    return "\n".join(lines) + "\n"


def with_summary(readme: str, summary: str) -> str:
    """*readme* with the code block that follows :data:`INTRO` replaced by *summary*."""
    start = readme.index(INTRO)
    open_fence = readme.index("```\n", start) + len("```\n")
    close_fence = readme.index("```\n", open_fence)
    return readme[:open_fence] + summary + readme[close_fence:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md's block is not current")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    updated = with_summary(text, build_summary())
    if args.check:
        if updated != text:
            print("README.md: the build summary is stale; run .venv/bin/python scripts/readme_summary.py",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
