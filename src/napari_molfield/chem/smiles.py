"""Molecules from SMILES (RDKit ETKDGv3 + MMFF94), RDKit conversion and descriptors.

RDKit is imported inside the functions so that importing :mod:`napari_molfield.chem`
stays fast.
"""

from __future__ import annotations

import re
import warnings
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MolfieldError
from .molecule import Molecule

if TYPE_CHECKING:
    from rdkit import Chem

#: Names of the values returned by :func:`descriptors`.
DESCRIPTOR_NAMES: tuple[str, ...] = (
    "MolMR",
    "ExactMolWt",
    "TPSA",
    "MolLogP",
    "NumRotatableBonds",
)

_STAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")


class RDKitLog:
    """Silence RDKit's logging while in scope and collect its error messages.

    Examples
    --------
    >>> with RDKitLog() as log:
    ...     mol = Chem.MolFromSmiles("C1CC")
    >>> log.messages
    ["SMILES Parse Error: unclosed ring for input: 'C1CC'"]
    """

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._stack = ExitStack()
        self._capture: Any = None

    def __enter__(self) -> RDKitLog:
        from rdkit import rdBase

        self._stack.enter_context(rdBase.BlockLogs())
        self._capture = self._stack.enter_context(rdBase.CaptureErrorLog())
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        try:
            text = str(self._capture.messages or "") if self._capture is not None else ""
        except UnicodeDecodeError:  # RDKit cut a quoted input line inside a character
            text = "(RDKit's message is not valid UTF-8 text)"
        for line in text.splitlines():
            line = _STAMP.sub("", line).strip()
            if line and line not in self.messages:
                self.messages.append(line)

    def summary(self, limit: int = 2) -> str:
        """The first ``limit`` messages joined into one line ('' if none)."""
        return "; ".join(self.messages[:limit])


def from_rdkit(
    mol: Chem.Mol,
    *,
    name: str,
    source: str | None = None,
    conf_ids: list[int] | None = None,
    conformer_names: list[str] | None = None,
    properties: dict[str, Any] | None = None,
    smiles: str | None = None,
) -> Molecule:
    """Wrap an RDKit molecule (with 3D conformers) as a :class:`Molecule`.

    Parameters
    ----------
    mol
        The molecule; every conformer in ``conf_ids`` (default: all) becomes one row.
    name, source, conformer_names, properties, smiles
        Copied to the :class:`Molecule`; ``smiles`` defaults to RDKit's canonical
        SMILES of ``mol`` without explicit hydrogens.
    """
    if mol.GetNumAtoms() == 0:
        raise MolfieldError(f"{source or name}: the molecule has no atoms.")
    ids = [c.GetId() for c in mol.GetConformers()] if conf_ids is None else list(conf_ids)
    if not ids:
        raise MolfieldError(f"{source or name}: the molecule has no coordinates.")
    coords = np.stack([mol.GetConformer(i).GetPositions() for i in ids]).astype(np.float64)
    elements = [a.GetSymbol() for a in mol.GetAtoms()]
    counts: dict[str, int] = {}
    atom_names = []
    for a in mol.GetAtoms():
        pdb = a.GetPDBResidueInfo()
        if pdb is not None and pdb.GetName().strip():
            atom_names.append(pdb.GetName().strip())
            continue
        counts[a.GetSymbol()] = counts.get(a.GetSymbol(), 0) + 1
        atom_names.append(f"{a.GetSymbol()}{counts[a.GetSymbol()]}")
    if smiles is None:
        smiles = canonical_smiles(mol)
    return Molecule(
        elements=elements,
        coords=coords,
        name=name,
        atom_names=atom_names,
        source=source,
        smiles=smiles,
        properties=dict(properties or {}),
        conformer_names=conformer_names,
    )


def canonical_smiles(mol: Chem.Mol) -> str | None:
    """RDKit canonical SMILES without explicit hydrogens (``None`` if RDKit fails)."""
    from rdkit import Chem

    with RDKitLog():
        try:
            return Chem.MolToSmiles(Chem.RemoveHs(mol, sanitize=False))
        except Exception:
            return None


def _embed(mol: Chem.Mol, smiles: str, n_conformers: int, seed: int) -> list[int]:
    from rdkit.Chem import rdDistGeom

    params = rdDistGeom.ETKDGv3()
    params.randomSeed = int(seed)
    with RDKitLog() as log:
        ids = list(rdDistGeom.EmbedMultipleConfs(mol, numConfs=n_conformers, params=params))
        if len(ids) < n_conformers:
            params.useRandomCoords = True
            mol.RemoveAllConformers()
            ids = list(rdDistGeom.EmbedMultipleConfs(mol, numConfs=n_conformers, params=params))
    if len(ids) < n_conformers:
        why = f" ({log.summary()})" if log.messages else ""
        raise MolfieldError(
            f"Could not generate 3D coordinates for SMILES {smiles!r}: RDKit embedded "
            f"{len(ids)} of {n_conformers} conformers{why}."
        )
    return ids


def _optimise(mol: Chem.Mol, smiles: str) -> None:
    from rdkit.Chem import rdForceFieldHelpers as ff

    with RDKitLog():
        if ff.MMFFHasAllMoleculeParams(mol):
            ff.MMFFOptimizeMoleculeConfs(mol, maxIters=2000)
            return
        if ff.UFFHasAllMoleculeParams(mol):
            warnings.warn(
                f"MMFF94 has no parameters for {smiles!r}; optimised with UFF instead.",
                stacklevel=3,
            )
            ff.UFFOptimizeMoleculeConfs(mol, maxIters=2000)
            return
    warnings.warn(
        f"Neither MMFF94 nor UFF has parameters for {smiles!r}; conformers are not optimised.",
        stacklevel=3,
    )


def parse_smiles(smiles: str, where: str | None = None) -> Chem.Mol:
    """Parse a SMILES string with RDKit, raising a :class:`MolfieldError` when invalid."""
    from rdkit import Chem

    text = str(smiles).strip()
    mol = None
    with RDKitLog() as log:
        if text:
            mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        why = f" ({log.summary(1)})" if log.messages else ""
        prefix = f"{where}: " if where else ""
        raise MolfieldError(f"{prefix}invalid SMILES {text!r}{why}.")
    return mol


def from_smiles(
    smiles: str,
    *,
    n_conformers: int = 1,
    seed: int = 0,
    name: str | None = None,
    optimize: bool = True,
) -> Molecule:
    """Build a 3D molecule with explicit hydrogens from a SMILES string.

    Conformers are embedded with RDKit's ETKDGv3 (seeded, hence reproducible) and, with
    ``optimize``, relaxed with MMFF94 (UFF, or nothing, when MMFF lacks parameters; a
    warning says so).

    Parameters
    ----------
    smiles
        The SMILES string.
    n_conformers
        Number ``K`` of conformers, stacked as ``coords[K, A, 3]``.
    seed
        Random seed of the embedding.
    name
        Display name; defaults to the canonical SMILES.
    optimize
        Relax each conformer with a force field.

    Returns
    -------
    Molecule
        With ``smiles`` set to RDKit's canonical SMILES and ``source`` to the input.

    Raises
    ------
    MolfieldError
        If the SMILES is invalid or no 3D coordinates can be generated.
    """
    from rdkit import Chem

    if int(n_conformers) < 1:
        raise MolfieldError(f"n_conformers must be at least 1, not {n_conformers}.")
    mol = Chem.AddHs(parse_smiles(smiles))
    canonical = Chem.MolToSmiles(Chem.RemoveHs(mol))
    ids = _embed(mol, str(smiles).strip(), int(n_conformers), seed)
    if optimize:
        _optimise(mol, canonical)
    return from_rdkit(
        mol,
        name=name or canonical,
        source=str(smiles).strip(),
        conf_ids=ids,
        conformer_names=[f"conformer {i + 1}" for i in range(len(ids))],
        smiles=canonical,
    )


def molecule_to_rdkit(molecule: Molecule, conformers: bool = True) -> Chem.Mol:
    """An RDKit molecule with explicit hydrogens rebuilt from ``molecule.smiles``.

    The atoms must be those of the SMILES with explicit hydrogens (as for molecules made
    by :func:`from_smiles` or read from SDF/MOL2 with hydrogens). Atom order follows
    ``molecule``; with ``conformers`` every conformer of ``molecule`` is attached.

    Raises
    ------
    MolfieldError
        If the molecule has no SMILES or its atoms do not match it.
    """
    from rdkit import Chem

    if not molecule.smiles:
        raise MolfieldError(f"{molecule.name}: the molecule has no SMILES to rebuild it from.")
    template = Chem.AddHs(parse_smiles(molecule.smiles, molecule.name))
    elements = [str(e) for e in molecule.elements]
    if [a.GetSymbol() for a in template.GetAtoms()] == elements:
        mol = Chem.Mol(template)
    else:
        mol = _match_by_geometry(template, molecule)
    if conformers:
        set_conformers(mol, molecule.coords)
    return mol


def set_conformers(mol: Chem.Mol, coords: np.ndarray) -> None:
    """Replace the conformers of ``mol`` by ``coords`` ``[K, A, 3]`` (Å), in place."""
    from rdkit import Chem
    from rdkit.Geometry import Point3D

    mol.RemoveAllConformers()
    for xyz in coords:
        conf = Chem.Conformer(len(xyz))
        for i, (x, y, z) in enumerate(xyz):
            conf.SetAtomPosition(i, Point3D(float(x), float(y), float(z)))
        conf.Set3D(True)
        mol.AddConformer(conf, assignId=True)


def _match_by_geometry(template: Chem.Mol, molecule: Molecule) -> Chem.Mol:
    """Renumber ``template`` to the atom order of ``molecule`` via its 3D connectivity."""
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    lines = [str(molecule.n_atoms), molecule.name]
    lines += [
        f"{e} {x:.6f} {y:.6f} {z:.6f}"
        for e, (x, y, z) in zip(molecule.elements, molecule.coords[0], strict=True)
    ]
    with RDKitLog():
        try:
            xyz = Chem.MolFromXYZBlock("\n".join(lines) + "\n")
            rdDetermineBonds.DetermineConnectivity(xyz)
            query = Chem.RWMol(template)
            for b in query.GetBonds():
                b.SetBondType(Chem.BondType.SINGLE)
                b.SetIsAromatic(False)
            for a in query.GetAtoms():
                a.SetIsAromatic(False)
                a.SetFormalCharge(0)
            order = xyz.GetSubstructMatch(query.GetMol())
        except Exception:
            order = ()
    if len(order) != molecule.n_atoms:
        raise MolfieldError(
            f"{molecule.name}: its atoms do not match its SMILES {molecule.smiles!r}."
        )
    # order[i] = molecule atom matched by template atom i; invert to molecule order.
    inverse = [0] * len(order)
    for t, m in enumerate(order):
        inverse[m] = t
    return Chem.RenumberAtoms(template, inverse)


def descriptors(molecule: Molecule) -> dict[str, float]:
    """RDKit descriptors of ``molecule.smiles`` (empty if the molecule has no SMILES).

    Returns
    -------
    dict
        ``MolMR``, ``ExactMolWt``, ``TPSA``, ``MolLogP`` and ``NumRotatableBonds``.
    """
    if not molecule.smiles:
        return {}
    from rdkit.Chem import Crippen, Descriptors, rdMolDescriptors

    mol = parse_smiles(molecule.smiles, molecule.name)
    return {
        "MolMR": float(Crippen.MolMR(mol)),
        "ExactMolWt": float(Descriptors.ExactMolWt(mol)),
        "TPSA": float(rdMolDescriptors.CalcTPSA(mol)),
        "MolLogP": float(Crippen.MolLogP(mol)),
        "NumRotatableBonds": float(rdMolDescriptors.CalcNumRotatableBonds(mol)),
    }
