"""Add hydrogens with 3D coordinates to structures that lack them (RDKit).

Polymer residues are read by RDKit's PDB parser, which knows the bond orders of the
standard residues. Hetero residues (ligands, modified residues) in a PDB file carry no
bond orders: each is cut out with its bonds (a bond to a neighbouring residue becomes a
capping hydrogen). Then either a SMILES template the user gives assigns bond orders and
charges (``AssignBondOrdersFromTemplate``), or RDKit's
``rdDetermineBonds.DetermineBondOrders`` does, for a neutral residue, on
the residue with hydrogens placed from its geometry (planar and linear centres, short
terminal bonds). Where the geometry overestimates unsaturation (a planar amide N), the
atoms that ``DetermineBondOrders`` could only leave charged get one more hydrogen and the
bond orders are determined again. Hydrogen counts follow from those bond orders.
Single-atom residues get none, except a water oxygen (two). Molecules with a SMILES (from
SDF/MOL2) use its bond orders.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .bond_orders import residue_bond_orders
from .molecule import Molecule


def _pdb_block(molecule: Molecule) -> str:
    lines = []
    assert molecule.atom_names is not None and molecule.residue_names is not None
    for i in range(molecule.n_atoms):
        el = str(molecule.elements[i])
        name = str(molecule.atom_names[i]).strip() or f"{el}{i + 1}"
        name = name[:4] if len(name) >= 4 or len(el) == 2 else f" {name}"
        res = (str(molecule.residue_names[i]).strip() or "UNL")[:3]
        chain = (str(molecule.chains[i]).strip() or "A")[:1]
        record = "HETATM" if molecule.hetero[i] or res == "UNL" else "ATOM  "
        x, y, z = molecule.coords[0, i]
        lines.append(
            f"{record}{(i + 1) % 100000:5d} {name:<4s} {res:>3s} {chain}"
            f"{int(molecule.residue_numbers[i]) % 10000:4d}    "
            f"{x:8.3f}{y:8.3f}{z:8.3f}{1.0:6.2f}{0.0:6.2f}          {el:>2s}"
        )
    return "\n".join([*lines, "END", ""])


def _residue_groups(mol: Any, standard: np.ndarray) -> dict[tuple[Any, ...], list[int]]:
    groups: dict[tuple[Any, ...], list[int]] = {}
    for a in mol.GetAtoms():
        if standard[a.GetIdx()]:
            continue
        info = a.GetPDBResidueInfo()
        key = (info.GetChainId(), info.GetResidueNumber(), info.GetInsertionCode(),
               info.GetResidueName().strip()) if info is not None else ("", 0, "", "")
        groups.setdefault(key, []).append(a.GetIdx())
    return groups


def _assign_hetero(
    mol: Any,
    molecule: Molecule,
    standard: np.ndarray,
    ligand_smiles: str | Mapping[str, str] | None,
) -> None:
    from rdkit import Chem

    xyz = molecule.coords[0]
    ligands = set(molecule.ligand_residues)
    failed = []
    for key, idx in _residue_groups(mol, standard).items():
        name = key[3]
        heavy = [j for j in idx if mol.GetAtomWithIdx(j).GetAtomicNum() > 1]
        if isinstance(ligand_smiles, Mapping):
            smi = ligand_smiles.get(name)
        else:
            smi = ligand_smiles if ligand_smiles and (name in ligands or not ligands) else None
        if len(heavy) == 1 and smi is None:
            a = mol.GetAtomWithIdx(heavy[0])
            n_h = 2 if a.GetSymbol() == "O" and a.GetDegree() == 0 else 0
            a.SetNoImplicit(True)
            a.SetNumExplicitHs(n_h)
            a.SetHybridization(Chem.HybridizationType.SP3)
            continue
        frag = residue_bond_orders(mol, heavy, xyz, smi, name) if heavy else None
        if frag is None:
            failed.append(name)
        for k, j in enumerate(heavy):
            a = mol.GetAtomWithIdx(j)
            a.SetNoImplicit(True)
            if frag is None:
                a.SetNumExplicitHs(0)
                continue
            fa = frag.GetAtomWithIdx(k)
            a.SetNumExplicitHs(fa.GetTotalNumHs())
            a.SetFormalCharge(fa.GetFormalCharge())
            a.SetHybridization(fa.GetHybridization())
    if failed:
        warnings.warn(
            f"{molecule.name}: RDKit could not determine the bond orders of residue(s) "
            f"{', '.join(sorted(set(failed)))}; no hydrogens were added to them (give "
            "their SMILES as ligand_smiles).",
            stacklevel=4,
        )


def _rdkit_from_pdb(
    molecule: Molecule,
    ligand_smiles: str | Mapping[str, str] | None = None,
) -> Any:
    from rdkit import Chem

    from .smiles import RDKitLog

    with RDKitLog() as log:
        mol = Chem.MolFromPDBBlock(
            _pdb_block(molecule), removeHs=False, sanitize=False, proximityBonding=True
        )
    if mol is None or mol.GetNumAtoms() != molecule.n_atoms:
        raise MolfieldError(
            f"{molecule.name}: RDKit could not build bonds to add hydrogens ({log.summary(1)})."
        )
    Chem.FastFindRings(mol)
    standard = _standard_residue_mask(mol)
    _assign_hetero(mol, molecule, standard, ligand_smiles)
    return mol


def _standard_residue_mask(mol: Any) -> np.ndarray:
    out = np.zeros(mol.GetNumAtoms(), dtype=bool)
    for a in mol.GetAtoms():
        info = a.GetPDBResidueInfo()
        out[a.GetIdx()] = info is not None and not info.GetIsHeteroAtom()
    return out


def add_hydrogens(
    molecule: Molecule,
    *,
    ligand_smiles: str | Mapping[str, str] | None = None,
) -> Molecule:
    """A copy of ``molecule`` with hydrogens (3D coordinates for every conformer).

    Parameters
    ----------
    molecule
        A molecule without hydrogens.
    ligand_smiles
        SMILES templates for the bond orders of hetero residues: one SMILES for the
        ligand residues (:attr:`Molecule.ligand_residues`), or residue name → SMILES.
        Other hetero residues get bond orders from ``rdDetermineBonds``.

    Hetero residues without a template are taken as neutral; give the SMILES of a
    charged or unusual ligand (e.g. a protonated piperazine) as a template.

    Heavy atoms keep their order and annotations; the new hydrogens follow them and
    inherit residue, chain, hetero and ligand flags of their parent atom, with names
    ``H1``, ``H2``, … per residue. Molecules that already have hydrogens are returned
    unchanged.

    Raises
    ------
    MolfieldError
        If RDKit cannot build a bonded molecule from the atoms, or a SMILES template is
        invalid or does not match its residue.
    """
    if molecule.has_hydrogens:
        return molecule
    from rdkit import Chem

    from .smiles import RDKitLog, molecule_to_rdkit, set_conformers

    mol = None
    if molecule.smiles:
        try:
            mol = molecule_to_rdkit(molecule, conformers=True)
        except MolfieldError:
            mol = None
        if mol is not None and mol.GetNumAtoms() != molecule.n_atoms:
            mol = None  # the SMILES has explicit hydrogens we do not have
    if mol is None:
        mol = _rdkit_from_pdb(molecule, ligand_smiles)
        set_conformers(mol, molecule.coords)
    with RDKitLog():
        mol.UpdatePropertyCache(strict=False)
        ops = Chem.SanitizeFlags
        Chem.SanitizeMol(
            mol, ops.SANITIZE_SYMMRINGS | ops.SANITIZE_SETHYBRIDIZATION, catchErrors=True
        )
        withh = Chem.AddHs(mol, addCoords=True)
    n = molecule.n_atoms
    total = withh.GetNumAtoms()
    if total == n:
        return molecule
    parent = np.array(
        [withh.GetAtomWithIdx(i).GetNeighbors()[0].GetIdx() for i in range(n, total)],
        dtype=np.int64,
    )
    coords = np.stack([c.GetPositions() for c in withh.GetConformers()])
    assert coords.shape[1] == total
    coords = np.concatenate([molecule.coords, coords[:, n:]], axis=1)

    def extend(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values, values[parent]])

    h_names = []
    per_residue: dict[tuple[Any, ...], int] = {}
    assert molecule.chains is not None and molecule.residue_numbers is not None
    for p in parent:
        key = (molecule.chains[p], molecule.residue_numbers[p], molecule.residue_names[p])
        per_residue[key] = per_residue.get(key, 0) + 1
        h_names.append(f"H{per_residue[key]}")
    assert molecule.atom_names is not None and molecule.hetero is not None
    assert molecule.b_factors is not None and molecule.ligand_mask is not None
    return Molecule(
        elements=np.concatenate([molecule.elements, np.full(len(parent), "H", dtype=object)]),
        coords=coords,
        name=molecule.name,
        atom_names=np.concatenate([molecule.atom_names, np.array(h_names, dtype=object)]),
        residue_names=extend(molecule.residue_names),
        residue_numbers=extend(molecule.residue_numbers),
        chains=extend(molecule.chains),
        hetero=extend(molecule.hetero),
        b_factors=extend(molecule.b_factors),
        ligand_mask=extend(molecule.ligand_mask),
        source=molecule.source,
        smiles=molecule.smiles,
        properties=dict(molecule.properties),
        conformer_names=list(molecule.conformer_names or []),
        ligand_residues=molecule.ligand_residues,
    )
