"""Write recovered atoms as SDF/MOL, PDB or XYZ, atomically.

SDF, MOL and PDB need the bonded RDKit molecule (``result.mol``): a molecule whose bond
orders could not be assigned is written with the single bonds of its connectivity, and
the reason is stored in the file's title/remark. XYZ needs only the atoms.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..chem.pdb_models import models_text
from ..errors import MolfieldError
from ..fields.io import atomic_write
from .bonds import xyz_block
from .result import RecoveredAtoms

#: Suffixes `write_atoms` understands.
SUFFIXES: tuple[str, ...] = (".sdf", ".mol", ".pdb", ".xyz")


def write_atoms(
    result: RecoveredAtoms | Sequence[RecoveredAtoms], path: str | os.PathLike[str], *,
    name: str | None = None,
) -> Path:
    """Write ``result`` to ``path``; the suffix picks the format.

    Parameters
    ----------
    result
        Recovered atoms (with ``mol`` for SDF, MOL and PDB), or several (e.g. the frames
        of an interpolation): one record each in SDF, one ``MODEL`` each in PDB, one frame
        each in XYZ (MOL holds one molecule only).
    path
        Target file: ``.sdf``, ``.mol``, ``.pdb`` or ``.xyz``.
    name
        Title written into the file (default: the file's stem; frames get `` [k]``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    MolfieldError
        For an unknown suffix, no atoms, a format needing bonds when there is no
        molecule, several molecules for MOL, or an OS error; nothing is written then.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise MolfieldError(
            f"Cannot write {path.name}: use one of {', '.join(SUFFIXES)}."
        )
    results = [result] if isinstance(result, RecoveredAtoms) else list(result)
    if not results:
        raise MolfieldError(f"Cannot write {path.name}: nothing to write.")
    if suffix == ".mol" and len(results) > 1:
        raise MolfieldError(f"{path.name}: a MOL file holds one molecule; use .sdf or .pdb.")
    title = name or path.stem
    texts = []
    for k, r in enumerate(results):
        label = title if len(results) == 1 else f"{title} [{k}]"
        if r.n_atoms == 0:
            raise MolfieldError(f"Cannot write {path.name}: no atoms were recovered"
                                + (f" in frame {k}." if len(results) > 1 else "."))
        if suffix == ".xyz":
            texts.append(xyz_block(r.elements, r.coords, label))
            continue
        if r.mol is None:
            raise MolfieldError(
                f"Cannot write {path.name}: no molecule could be built"
                + (f" in frame {k}" if len(results) > 1 else "")
                + f" ({r.sanitize_message})."
            )
        texts.append(_rdkit_text(r.mol, suffix, label, r.sanitize_message))
    if suffix == ".pdb" and len(results) > 1:
        texts = [models_text(texts)]

    def writer(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("".join(texts))

    atomic_write(path, writer)
    return path


def _rdkit_text(mol: Any, suffix: str, title: str, message: str) -> str:
    from rdkit import Chem

    from ..chem.smiles import RDKitLog

    m = Chem.Mol(mol)
    m.SetProp("_Name", title)
    if message:
        m.SetProp("molfield_note", message)
    with RDKitLog() as log:
        try:
            if suffix == ".pdb":
                text = Chem.MolToPDBBlock(m, flavor=4)
                if message:
                    text = f"REMARK   1 {message[:68]}\n" + text
            else:
                block = Chem.MolToMolBlock(m, kekulize=not message)
                text = block if suffix == ".mol" else _sdf_record(m, block)
        except Exception as exc:
            reason = log.summary() or str(exc).strip().splitlines()[0]
            raise MolfieldError(f"RDKit cannot write the molecule: {reason}.") from exc
    return text


def _sdf_record(mol: Any, block: str) -> str:
    props = "".join(f">  <{k}>\n{mol.GetProp(k)}\n\n" for k in mol.GetPropNames())
    return block + props + "$$$$\n"
