"""Add hydrogens with 3D coordinates to structures that lack them (RDKit).

Polymer residues are read by RDKit's PDB parser, which knows the bond orders of the
standard residues. Hetero residues (ligands) in a PDB file carry no bond orders, so
their hydrogen counts come from a small geometric rule set (:func:`_hetero_h_count`):
planar rings and planar/linear centres are unsaturated, short terminal bonds are
double or triple bonds. Molecules with a SMILES (from SDF/MOL2) use its bond orders.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MolfieldError
from .molecule import Molecule

# Standard valences used for hetero atoms (neutral forms).
_VALENCE = {"C": 4, "N": 3, "O": 2, "S": 2, "P": 3, "B": 3, "Se": 2, "Si": 4}
# Upper lengths (Å) of a double (or triple) bond to a terminal atom, by element pair.
_SHORT_BOND = {
    frozenset("CO"): 1.28, frozenset("CN"): 1.33, frozenset("C"): 1.40,
    frozenset("NO"): 1.28, frozenset("SO"): 1.55, frozenset("PO"): 1.55,
    frozenset("CS"): 1.70, frozenset("N"): 1.30,
}
_TRIPLE = {frozenset("CN"): 1.20, frozenset("C"): 1.25}


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


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _planar_ring_atoms(mol: Any, xyz: np.ndarray) -> set[int]:
    out: set[int] = set()
    for ring in mol.GetRingInfo().AtomRings():
        if len(ring) not in (5, 6):
            continue
        pts = xyz[list(ring)]
        centred = pts - pts.mean(axis=0)
        if np.linalg.svd(centred, compute_uv=False)[-1] / np.sqrt(len(ring)) < 0.1:
            out.update(ring)
    return out


def _hetero_h_count(mol: Any, idx: int, xyz: np.ndarray, planar_rings: set[int]) -> int:
    """Hydrogens of a hetero-residue atom from its element, degree and geometry."""
    atom = mol.GetAtomWithIdx(idx)
    el = atom.GetSymbol()
    nbrs = [n.GetIdx() for n in atom.GetNeighbors() if n.GetAtomicNum() > 1]
    d = len(nbrs)
    if el not in _VALENCE:
        return 0
    if d == 0:
        return {"O": 2, "N": 3, "S": 2, "C": 4}.get(el, 0)
    if d == 1:
        j = nbrs[0]
        pair = frozenset((el, mol.GetAtomWithIdx(j).GetSymbol()))
        length = float(np.linalg.norm(xyz[idx] - xyz[j]))
        if length < _TRIPLE.get(pair, 0.0):
            return max(_VALENCE[el] - 3, 0)
        if length < _SHORT_BOND.get(pair, 0.0):
            return max(_VALENCE[el] - 2, 0)
        return _VALENCE[el] - 1
    angles = [_angle(xyz[a], xyz[idx], xyz[b]) for k, a in enumerate(nbrs) for b in nbrs[k + 1:]]
    in_ring = idx in planar_rings
    if d == 2 and max(angles) > 170.0:  # linear: sp
        return max(_VALENCE[el] - 4, 0) if el == "C" else 0
    if d == 3:
        planar = sum(angles) > 350.0
    else:
        planar = d == 2 and angles[0] > 114.0
    unsaturated = in_ring or planar
    if el == "C":
        return max((3 if unsaturated else 4) - d, 0)
    if el == "N":
        if d >= 3:
            return 0
        if in_ring:
            ring_sizes = [len(r) for r in mol.GetRingInfo().AtomRings() if idx in r]
            return 1 if min(ring_sizes) == 5 and not _has_nh_neighbour_n(mol, idx) else 0
        return 1  # amide / aniline-type N–H (imines are rarer in ligands)
    return max(_VALENCE[el] - d, 0)


def _has_nh_neighbour_n(mol: Any, idx: int) -> bool:
    # In a 5-ring with two ring N of degree 2 (imidazole), only one carries the H.
    for ring in mol.GetRingInfo().AtomRings():
        if idx in ring:
            for j in ring:
                a = mol.GetAtomWithIdx(j)
                if j < idx and a.GetSymbol() == "N" and a.GetDegree() == 2:
                    return True
    return False


def _rdkit_from_pdb(molecule: Molecule) -> Any:
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
    xyz = molecule.coords[0]
    Chem.FastFindRings(mol)
    rings = _planar_ring_atoms(mol, xyz)
    standard = _standard_residue_mask(mol)
    counts = {
        i: _hetero_h_count(mol, i, xyz, rings)
        for i in range(mol.GetNumAtoms())
        if not standard[i]
    }
    for i, n in counts.items():
        a = mol.GetAtomWithIdx(i)
        a.SetNoImplicit(True)
        a.SetNumExplicitHs(n)
        unsat = _VALENCE.get(a.GetSymbol(), 0) - a.GetDegree() - n
        hyb = Chem.HybridizationType
        a.SetHybridization(hyb.SP3 if unsat <= 0 else hyb.SP2 if unsat == 1 else hyb.SP)
    return mol


def _standard_residue_mask(mol: Any) -> np.ndarray:
    out = np.zeros(mol.GetNumAtoms(), dtype=bool)
    for a in mol.GetAtoms():
        info = a.GetPDBResidueInfo()
        out[a.GetIdx()] = info is not None and not info.GetIsHeteroAtom()
    return out


def add_hydrogens(molecule: Molecule) -> Molecule:
    """A copy of ``molecule`` with hydrogens (3D coordinates for every conformer).

    Heavy atoms keep their order and annotations; the new hydrogens follow them and
    inherit residue, chain, hetero and ligand flags of their parent atom, with names
    ``H1``, ``H2``, … per residue. Molecules that already have hydrogens are returned
    unchanged.

    Raises
    ------
    MolfieldError
        If RDKit cannot build a bonded molecule from the atoms.
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
        mol = _rdkit_from_pdb(molecule)
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
    )
