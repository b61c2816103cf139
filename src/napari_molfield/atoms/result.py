"""`RecoveredAtoms`: the atoms read back from a field, with their bonds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..chem.molecule import Molecule
from .count import ChannelCount


@dataclass(eq=False)
class RecoveredAtoms:
    """Atoms recovered from a field.

    Attributes
    ----------
    elements
        ``[A]`` element symbols.
    coords
        ``[A, 3]`` positions, Å.
    channel
        ``[A]`` index of the field channel each atom came from.
    channels
        The field's channel names.
    counts
        One `ChannelCount` per element channel (estimate, final count, peaks).
    scale
        ``[C]`` the normalisation scale used per channel (1: Eq. 1 units; channels that
        give no atoms keep 1).
    residual
        ``sqrt(Σ (model − field)² / Σ field²)`` over the element channels at the fitted
        points (0 for a perfect fit).
    channel_residual
        ``[C]`` the same per channel (NaN for channels that give no atoms).
    mol
        The RDKit molecule with bonds (``None`` if not requested or impossible).
    sanitize_message
        ``""`` when ``mol`` is a sanitised molecule with bond orders, otherwise why not.
    notes
        Sentences about skipped channels, ambiguous counts, the scale, ….
    seconds
        Wall time of the recovery.
    """

    elements: np.ndarray
    coords: np.ndarray
    channel: np.ndarray
    channels: tuple[str, ...]
    counts: list[ChannelCount]
    scale: np.ndarray
    residual: float
    channel_residual: np.ndarray
    mol: Any = None
    sanitize_message: str = "bonds were not determined"
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_atoms(self) -> int:
        """Number of atoms ``A``."""
        return len(self.elements)

    @property
    def valid(self) -> bool:
        """Whether ``mol`` is a sanitised molecule with bond orders."""
        return self.mol is not None and not self.sanitize_message

    @property
    def smiles(self) -> str | None:
        """Canonical SMILES of ``mol`` (``None`` without a valid molecule)."""
        if not self.valid:
            return None
        from rdkit import Chem

        return Chem.MolToSmiles(Chem.RemoveHs(self.mol))

    def formula(self) -> str:
        """Hill-order formula of the recovered atoms, e.g. ``C8H10N4O2``."""
        syms, n = np.unique(self.elements.astype(str), return_counts=True)
        count = dict(zip(syms.tolist(), n.tolist(), strict=True))
        order = [s for s in ("C", "H") if s in count] if "C" in count else []
        order += sorted(s for s in count if s not in order)
        return "".join(f"{s}{count[s] if count[s] > 1 else ''}" for s in order)

    def to_molecule(self, name: str = "recovered") -> Molecule:
        """The atoms as a one-conformer `Molecule` (with ``smiles`` when valid)."""
        return Molecule(
            elements=self.elements, coords=self.coords[None], name=name,
            source="field", smiles=self.smiles,
            properties={"residual": self.residual, "sanitize_message": self.sanitize_message},
        )

    def summary(self) -> str:
        """One line: formula, residual, bonds."""
        bonds = "valid molecule" if self.valid else self.sanitize_message
        smi = f" {self.smiles}" if self.valid else ""
        return (f"{self.formula()}: {self.n_atoms} atoms, residual {self.residual:.2e}, "
                f"{bonds}{smi}")

    def __repr__(self) -> str:
        return f"RecoveredAtoms({self.summary()})"
