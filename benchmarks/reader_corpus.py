"""Read every structure file of installed test-data packages and count the outcomes.

Usage: ``python benchmarks/reader_corpus.py [FOLDER ...]`` (default: the data folders of
MDAnalysisTests and of this repository's tests). Each file is read with
:func:`napari_molfield.chem.read_molecules` and its atom count compared with an
independent reader (gemmi for PDB/mmCIF, RDKit for SDF/MOL2, MDAnalysis for GRO/PQR/
PDBQT), less waters. Prints one table: read right / refused (by reason) / atom-count
mismatch. Packages that are missing are skipped.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import lzma
import re
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

from _results import readme_row, write_result

from napari_molfield.chem import read_molecules
from napari_molfield.chem.readers import SUPPORTED_EXTENSIONS
from napari_molfield.errors import MolfieldError

WATERS = {"HOH", "WAT", "SOL", "TIP3", "H2O", "DOD", "TIP", "SPC", "T3P"}
_OPEN = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def default_folders() -> list[Path]:
    """Data folders of installed packages and of this repository."""
    out = [Path(__file__).resolve().parents[1] / "tests" / "data"]
    try:
        import MDAnalysisTests.datafiles as d

        out.append(Path(d.PSF).parent)
    except ImportError:
        print("MDAnalysisTests not installed: its data folder is skipped.")
    return out


def _plain(path: Path, tmp: Path) -> Path:
    opener = _OPEN.get(path.suffix.lower())
    if opener is None:
        return path
    out = tmp / path.stem
    with opener(path, "rb") as f:
        out.write_bytes(f.read())
    return out


def reference_count(path: Path, tmp: Path) -> int | None:
    """Atoms (less waters) by an independent reader; None when none applies."""
    plain = _plain(path, tmp)
    ext = plain.suffix.lower()
    if ext in (".pdb", ".ent", ".cif", ".mmcif"):
        import gemmi

        st = gemmi.read_structure(str(plain))
        n = 0
        for res in (r for ch in st[0] for r in ch if r.name not in WATERS):
            first: dict[str, str] = {}
            seen: set[tuple[object, ...]] = set()
            for at in res:  # first altloc of each atom; same-named atoms all count
                if at.altloc != "\0" and first.setdefault(at.name, at.altloc) != at.altloc:
                    continue
                key = (at.name, round(at.pos.x, 2), round(at.pos.y, 2), round(at.pos.z, 2))
                n += key not in seen  # exact duplicates are documented as read once
                seen.add(key)
        return n
    if ext in (".sdf", ".sd", ".mol"):
        from rdkit import Chem

        mol = next(iter(Chem.SDMolSupplier(str(plain), removeHs=False, sanitize=False)))
        return None if mol is None else mol.GetNumAtoms()
    if ext == ".mol2":
        from rdkit import Chem

        mol = Chem.MolFromMol2File(str(plain), removeHs=False, sanitize=False)
        return None if mol is None else mol.GetNumAtoms()
    if ext in (".gro", ".pqr", ".pdbqt"):
        try:
            import MDAnalysis as mda
        except ImportError:
            return None
        u = mda.Universe(str(plain))
        return sum(1 for r in u.atoms.resnames if r not in WATERS)
    return None


def _reason(message: str) -> str:
    for pattern, reason in [
        ("no such file|cannot be read", "unreadable"), ("empty", "empty file"),
        ("not a text file", "binary"), ("truncated|corrupted", "broken compression"),
        ("no atom has a known element|unknown element", "unknown elements"),
        ("no atoms", "no atoms"), ("share no atoms|other atoms than frame", "models differ"),
        ("not a valid|cannot parse|expected", "parse error"), ("NaN", "NaN coordinates"),
    ]:
        if re.search(pattern, message):
            return reason
    return "other"


def main(argv: list[str] | None = None) -> int:
    """Print the outcome table, write the results; return 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", type=Path,
                    help="folders to search (default: MDAnalysisTests' data and tests/data)")
    args = ap.parse_args(argv)
    folders = args.folders or default_folders()
    files = sorted(
        p for folder in folders for p in folder.rglob("*")
        if p.is_file() and p.name.lower().endswith(SUPPORTED_EXTENSIONS)
        and not p.name.lower().endswith((".smi", ".smiles"))
    )
    outcome: Counter[str] = Counter()
    details: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for path in files:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    mols = read_molecules(path)
                except MolfieldError as exc:
                    reason = _reason(str(exc))
                    outcome[f"refused: {reason}"] += 1
                    details.append(f"refused  {path.name}: {exc}")
                    continue
                except Exception as exc:  # a crash is a bug: count it apart
                    outcome["crashed"] += 1
                    details.append(f"CRASH    {path.name}: {type(exc).__name__}: {exc}")
                    continue
                try:
                    ref = reference_count(path, tmp)
                except Exception:
                    ref = None
            ours = mols[0].n_atoms
            if ref is None:
                outcome["read (no reference)"] += 1
            elif ref == ours:
                outcome["read right"] += 1
            else:
                outcome["atom count mismatch"] += 1
                details.append(f"mismatch {path.name}: ours {ours}, reference {ref}")
    print(f"{len(files)} files in {', '.join(str(f) for f in folders)}\n")
    for line in details:
        print("  " + line[:160])
    print(f"\n{'outcome':<34s}{'files':>6s}")
    for key, n in sorted(outcome.items()):
        print(f"{key:<34s}{n:>6d}")
    counts = dict(sorted(outcome.items()))
    root = Path(__file__).resolve().parents[1]
    shown = [f.resolve().relative_to(root) if f.resolve().is_relative_to(root) else f
             for f in folders]
    write_result("reader_corpus", {
        "files": len(files), "folders": [str(f) for f in shown], "outcome": counts,
        "details": details,
        "readme": [readme_row(f"readers on {len(files)} structure files of "
                              + ", ".join(f"`{f}`" for f in shown),
                              "; ".join(f"{k} {n}" for k, n in counts.items()))]}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
