"""Read molecules from structure files: the entry point that picks a reader by extension.

=================================  ===========================================
``.pdb`` ``.ent`` ``.cif``         gemmi (:mod:`.read_structure`)
``.mmcif`` ``.pqr`` ``.pdbqt``
``.gro``                           :mod:`.read_gro`
``.sdf`` ``.sd`` ``.mol``          RDKit (:mod:`.read_rdkit`)
``.mol2`` ``.smi`` ``.smiles``
``.xyz``                           :mod:`.read_xyz`
=================================  ===========================================

Every format may be compressed with gzip (``.gz``), bzip2 (``.bz2``) or xz (``.xz``).
MD trajectories are read by :func:`napari_molfield.chem.trajectory.read_trajectory`.

Every user-caused problem becomes one :class:`~napari_molfield.errors.MolfieldError`
whose message names the file and the problem. RDKit and gemmi are imported lazily.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import MolfieldError
from .ligand import HeteroResidue, classify_residues, polymer_by_name
from .molecule import Molecule
from .read_rdkit import RDKIT_EXTS
from .read_structure import STRUCTURE_EXTS
from .textio import COMPRESSION_SUFFIXES, read_text

_PLAIN_EXTS: tuple[str, ...] = (*STRUCTURE_EXTS, ".gro", *RDKIT_EXTS, ".xyz", ".smi", ".smiles")
#: File extensions :func:`read_molecules` understands (case-insensitive).
SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    *_PLAIN_EXTS,
    *(e + c for c in COMPRESSION_SUFFIXES for e in _PLAIN_EXTS),
)
_CONFORMER_MODES = ("auto", "separate")


def _extension(path: str | os.PathLike[str]) -> str:
    name = Path(path).name.lower()
    for ext in sorted(SUPPORTED_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return ext
    return Path(name).suffix


def can_read(path: object) -> bool:
    """Whether ``path`` is an existing file with a supported extension (cheap check)."""
    if not isinstance(path, (str, os.PathLike)):
        return False
    try:
        return _extension(path) in SUPPORTED_EXTENSIONS and Path(path).is_file()
    except (OSError, ValueError):
        return False


def read_molecules(
    path: str | os.PathLike[str],
    *,
    add_hydrogens: bool = False,
    keep_waters: bool = False,
    ligand: str | Sequence[str] | None = None,
    conformers: str = "auto",
    n_conformers: int = 1,
    seed: int = 0,
    ligand_smiles: str | Mapping[str, str] | None = None,
) -> list[Molecule]:
    """Read every molecule in a file.

    Parameters
    ----------
    path
        A ``.pdb``/``.ent``/``.cif``/``.mmcif``/``.pqr``/``.pdbqt``/``.gro``,
        ``.sdf``/``.sd``, ``.mol``, ``.mol2``, ``.xyz`` or ``.smi``/``.smiles`` file,
        optionally compressed (``.gz``, ``.bz2``, ``.xz``).
    add_hydrogens
        Add hydrogens with 3D coordinates to molecules that have none.
    keep_waters
        Keep water molecules of PDB/mmCIF/PQR/PDBQT/GRO files (dropped by default).
    ligand
        Residue name(s) forming the ligand of a complex (``"STI"``, ``"STI,ATP"`` or a
        list). By default the largest residue that is neither polymer (modified polymer
        residues such as CSO count as polymer), water nor ion, with all its copies. The
        names chosen are in :attr:`Molecule.ligand_residues`.
    conformers
        ``"auto"``: the models of a PDB/mmCIF/PDBQT file, the frames of a GRO/XYZ file,
        and consecutive SDF/MOL2 records with the same atoms, become conformers of one
        molecule; ``"separate"``: one molecule per model/record.
    n_conformers, seed
        Conformers generated (ETKDGv3, seeded) for each SMILES of a SMILES file.
    ligand_smiles
        With ``add_hydrogens``: SMILES giving the bond orders of ligand residues (one
        SMILES, or residue name → SMILES); see
        :func:`~napari_molfield.chem.hydrogens.add_hydrogens`.

    Returns
    -------
    list of Molecule

    Raises
    ------
    MolfieldError
        For a missing, empty, binary, truncated or malformed file, an unknown extension,
        a file without atoms of a known element, NaN/inf coordinates or invalid SMILES.

    Warns
    -----
    UserWarning
        When elements are inferred from atom names, unknown/dummy atoms become ``"X"``
        (the ``other`` channel), or exact duplicate atoms are read once.
    """
    path = Path(path)
    label = path.name
    if conformers not in _CONFORMER_MODES:
        raise MolfieldError(
            f"conformers must be 'auto' or 'separate', not {conformers!r}."
        )
    ext = _extension(path)
    if ext not in SUPPORTED_EXTENSIONS:
        raise MolfieldError(
            f"{label}: unknown file type {ext or '(no extension)'!r}; supported are "
            f"{', '.join(_PLAIN_EXTS)}, each optionally compressed "
            f"({', '.join(COMPRESSION_SUFFIXES)})."
        )
    if not path.exists():
        raise MolfieldError(f"{label}: no such file ({path}).")
    if not path.is_file():
        raise MolfieldError(f"{label}: not a file ({path}).")
    text = read_text(path, label)
    base = ext
    for suffix in COMPRESSION_SUFFIXES:
        base = base.removesuffix(suffix)
    if base in STRUCTURE_EXTS:
        from .read_structure import read_structure

        mols = read_structure(text, path, label, base, keep_waters, ligand, conformers)
    elif base == ".gro":
        from .read_gro import read_gro

        mols = read_gro(text, path, label, keep_waters, ligand, conformers)
    elif base in RDKIT_EXTS:
        from .read_rdkit import read_rdkit

        mols = read_rdkit(text, path, label, base, conformers)
    elif base == ".xyz":
        from .read_xyz import read_xyz

        mols = read_xyz(text, path, label, conformers)
    else:
        from .read_rdkit import read_smiles

        mols = read_smiles(text, label, n_conformers, seed)
    if add_hydrogens:
        from .hydrogens import add_hydrogens as _add_h

        mols = [_add_h(m, ligand_smiles=ligand_smiles) for m in mols]
    return mols


def hetero_residues(path: str | os.PathLike[str]) -> list[HeteroResidue]:
    """The hetero residues of a structure file (for a widget to offer as ligands).

    Parameters
    ----------
    path
        Any file :func:`~napari_molfield.chem.readers.read_molecules` reads; waters are
        included.

    Returns
    -------
    list of HeteroResidue
        In file order; ligands, ions, waters and modified polymer residues.

    Raises
    ------
    MolfieldError
        When the file cannot be read.
    """
    out: dict[str, HeteroResidue] = {}
    for mol in read_molecules(path, keep_waters=True):
        assert mol.residue_names is not None and mol.chains is not None
        keys = list(zip(mol.chains, mol.residue_numbers, mol.residue_names, strict=True))
        polymer = polymer_by_name(mol.residue_names)
        for h in classify_residues(mol.residue_names, keys, polymer, mol.elements):
            out.setdefault(h.name, h)
    return list(out.values())
