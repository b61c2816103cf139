"""Regenerate the README's benchmark tables from ``benchmarks/results/*.json``.

Every block of the README between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` is
replaced by the table of ``results/NAME.json`` (written by `_results.write_result`): one
line naming the command, the commit, the date and the machine it ran on, then the rows of
its ``results["readme"]``. Text outside the markers is never touched.

    .venv/bin/python benchmarks/readme_tables.py            # rewrite README.md
    .venv/bin/python benchmarks/readme_tables.py --check    # exit 1 when a table is stale

A marker whose JSON is missing (or has no ``readme`` rows) is an error (exit 2; in
``--check`` mode, exit 1 like a stale table).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"

#: ``<!-- bench:NAME -->`` … ``<!-- /bench:NAME -->`` (NAME: letters, digits, ``_ . -``).
BLOCK = re.compile(r"(<!-- bench:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)",
                   re.DOTALL)
OPENING = re.compile(r"<!-- bench:([\w.-]+) -->")


class TableError(Exception):
    """A marker whose results cannot be rendered (missing or malformed JSON)."""


def _cell(text: Any) -> str:
    """One Markdown table cell: pipes escaped, on one line."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _machine(m: Mapping[str, Any]) -> str:
    parts = [f"{m['cpus']} CPUs" if m.get("cpus") else None,
             f"torch {m['torch']}" if m.get("torch") else None,
             f"load {m['load'][0]:g}" if m.get("load") else None]
    return ", ".join(p for p in parts if p)


def render(record: Mapping[str, Any]) -> str:
    """The Markdown of one results record: its provenance line and its table."""
    rows = record.get("results", {}).get("readme")
    name = record.get("benchmark", "?")
    if not rows:
        raise TableError(f"{name}: the results hold no README rows (results['readme']).")
    date = str(record.get("date", "?"))[:10]
    head = (f"*From `{record.get('command', name)}` at commit `{record.get('commit', '?')}` "
            f"on {date} ({_machine(record.get('machine', {}))}; "
            f"`benchmarks/results/{name}.json`).*")
    lines = [head, "", "| what | result |", "|---|---|"]
    lines += [f"| {_cell(r['what'])} | {_cell(r['result'])} |" for r in rows]
    return "\n".join(lines) + "\n"


def load(results: Path, name: str) -> Mapping[str, Any]:
    """The record ``results/NAME.json``."""
    path = results / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TableError(f"{name}: no {path} (run benchmarks/{name}.py first).") from None
    except json.JSONDecodeError as exc:
        raise TableError(f"{name}: {path} is not JSON ({exc}).") from None


def regenerate(text: str, results: Path) -> tuple[str, list[str]]:
    """``text`` with every bench block regenerated, and the names of the blocks that
    changed. Raises `TableError` for a block it cannot render."""
    changed: list[str] = []
    closed = [m.group("name") for m in BLOCK.finditer(text)]
    for name in OPENING.findall(text):
        if name not in closed:
            raise TableError(f"{name}: <!-- bench:{name} --> has no <!-- /bench:{name} -->.")

    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        body = render(load(results, name))
        if body != m.group("body"):
            changed.append(name)
        return m.group(1) + body + m.group(4)

    return BLOCK.sub(sub, text), changed


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or ``--check``) the README; the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="change nothing; exit 1 when a table differs from its JSON")
    ap.add_argument("--readme", type=Path, default=README)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    names = [m.group("name") for m in BLOCK.finditer(text)]
    try:
        new, changed = regenerate(text, args.results)
    except TableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if args.check else 2
    if args.check:
        if changed:
            print(f"stale README tables: {', '.join(changed)} "
                  "(run python benchmarks/readme_tables.py)", file=sys.stderr)
            return 1
        print(f"{len(names)} README tables match their results.")
        return 0
    if new != text:
        args.readme.write_text(new, encoding="utf-8")
    print(f"{len(names)} README tables, {len(changed)} regenerated"
          + (f": {', '.join(changed)}" if changed else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
