"""What an auto-decoder fits: items (molecule, conformer, box) and their stored metadata."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.field import Field

#: What `fit` takes: molecules (every conformer an item), (molecule, conformer) pairs, or
#: density maps (one item per map).
ItemsLike = (Molecule | Sequence[Molecule] | Sequence[tuple[Molecule, int]] | Field
             | Sequence[Field])


@dataclass(eq=False)
class Item:
    """One conformer of one molecule, in the box shared by all conformers of that molecule."""

    molecule: Molecule
    index: int
    conformer: int
    box: Box
    hydrogens_added: bool


def expand_items(items: ItemsLike, padding: float, add_h: bool) -> list[Item]:
    if isinstance(items, Molecule):
        items = [items]
    if not isinstance(items, Sequence) or isinstance(items, str) or len(items) == 0:
        raise MolfieldError("Give a molecule, a list of molecules or (molecule, conformer) pairs.")
    pairs: list[tuple[Molecule, int | None]] = []
    for x in items:
        if isinstance(x, Molecule):
            pairs.append((x, None))
        elif isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], Molecule):
            pairs.append((x[0], int(x[1])))
        else:
            raise MolfieldError(f"Cannot fit {type(x).__name__!r}: give molecules.")
    mols: dict[int, tuple[int, Molecule, Box, bool]] = {}
    out = []
    for mol, k in pairs:
        if id(mol) not in mols:
            added = add_h and not mol.has_hydrogens
            m = mol
            if added:
                from ..chem.hydrogens import add_hydrogens

                m = add_hydrogens(mol)
            mols[id(mol)] = (len(mols), m, Box.around(m.coords, padding), added)
        idx, m, box, added = mols[id(mol)]
        ks = range(m.n_conformers) if k is None else [k]
        for kk in ks:
            if not -m.n_conformers <= kk < m.n_conformers:
                raise MolfieldError(
                    f"{m.name}: conformer {kk} does not exist ({m.n_conformers} conformers)."
                )
            out.append(Item(m, idx, kk % m.n_conformers, box, added))
    return out


def item_meta(it: Item, scale: np.ndarray) -> dict[str, Any]:
    m = it.molecule
    assert m.conformer_names is not None
    name = m.name if m.n_conformers == 1 else f"{m.name} [{m.conformer_names[it.conformer]}]"
    return {
        "name": name,
        "source": m.source,
        "molecule": it.index,
        "conformer": it.conformer,
        "conformer_name": m.conformer_names[it.conformer],
        "box": it.box.to_dict(),
        "scale": [float(s) for s in scale],
        "elements": dict(sorted(Counter(str(e) for e in m.elements).items())),
        "hydrogens_added": it.hydrogens_added,
    }


__all__ = ["Item", "ItemsLike", "expand_items", "item_meta"]
