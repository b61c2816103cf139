"""The `Molecule` container: atoms with one or more conformers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MolfieldError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# Default of the per-atom fields: `Molecule.__post_init__` replaces it by an array, so the
# fields are typed as the arrays they always are (Any lets None stand in until then).
_FILLED_IN: Any = None


def _str_array(values: Any, n: int, fill: str = "") -> np.ndarray:
    if values is None:
        return np.full(n, fill, dtype=object)
    return np.asarray(values, dtype=object).reshape(n)


@dataclass(eq=False)
class Molecule:
    """Atoms of one molecule (or complex) with ``K`` conformers.

    Parameters
    ----------
    elements
        ``[A]`` element symbols, capitalised as in the periodic table (``"C"``, ``"Cl"``).
    coords
        ``[K, A, 3]`` Cartesian coordinates in Å, one row per conformer (a 2-D
        ``[A, 3]`` array is taken as one conformer).
    name
        A short name shown in napari and CLI output.
    atom_names, residue_names, residue_numbers, chains, hetero, b_factors
        Per-atom annotations (PDB-style); defaults are empty strings, 0 and False.
    ligand_mask
        ``[A]`` True for atoms of the ligand in a complex (all False for a lone molecule).
    source
        The file (or SMILES) the molecule came from.
    smiles
        Canonical SMILES when known.
    properties
        Free-form metadata (e.g. a dataset's measured values).
    conformer_names
        ``[K]`` labels of the conformers (e.g. ``"model 3"``).
    ligand_residues
        Residue names that form the ligand (``ligand_mask``), as chosen by the reader or
        given by the user; empty for a lone molecule.
    """

    elements: np.ndarray
    coords: np.ndarray
    name: str = "molecule"
    atom_names: np.ndarray = _FILLED_IN
    residue_names: np.ndarray = _FILLED_IN
    residue_numbers: np.ndarray = _FILLED_IN
    chains: np.ndarray = _FILLED_IN
    hetero: np.ndarray = _FILLED_IN
    b_factors: np.ndarray = _FILLED_IN
    ligand_mask: np.ndarray = _FILLED_IN
    source: str | None = None
    smiles: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    conformer_names: list[str] | None = None
    ligand_residues: tuple[str, ...] = ()

    if TYPE_CHECKING:
        # The signature of the generated __init__ as callers see it: array-likes, and None
        # for the annotations `__post_init__` fills in (keep in step with the fields).
        def __init__(
            self,
            elements: ArrayLike,
            coords: ArrayLike,
            name: str = ...,
            atom_names: ArrayLike | None = ...,
            residue_names: ArrayLike | None = ...,
            residue_numbers: ArrayLike | None = ...,
            chains: ArrayLike | None = ...,
            hetero: ArrayLike | None = ...,
            b_factors: ArrayLike | None = ...,
            ligand_mask: ArrayLike | None = ...,
            source: str | None = ...,
            smiles: str | None = ...,
            properties: dict[str, Any] = ...,
            conformer_names: list[str] | None = ...,
            ligand_residues: tuple[str, ...] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        elements = np.asarray(self.elements, dtype=object).reshape(-1)
        coords = np.asarray(self.coords, dtype=np.float64)
        if coords.ndim == 2:
            coords = coords[None]
        n = elements.shape[0]
        if n == 0:
            raise MolfieldError(f"{self.name}: the molecule has no atoms.")
        if coords.ndim != 3 or coords.shape[1:] != (n, 3) or coords.shape[0] < 1:
            raise MolfieldError(
                f"{self.name}: coordinates of shape {coords.shape} do not match {n} atoms."
            )
        if not np.isfinite(coords).all():
            raise MolfieldError(f"{self.name}: some atom coordinates are NaN or infinite.")
        self.elements = np.array([normalise_symbol(e) for e in elements], dtype=object)
        self.coords = coords
        try:
            self._fill_annotations(n)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MolfieldError(
                f"{self.name}: per-atom annotations (residue numbers, flags, B-factors) "
                f"do not fit {n} atoms ({' '.join(str(exc).split())})."
            ) from None
        self.ligand_residues = tuple(str(r) for r in self.ligand_residues)
        if self.conformer_names is None:
            k = coords.shape[0]
            self.conformer_names = [f"conformer {i + 1}" for i in range(k)]

    def _fill_annotations(self, n: int) -> None:
        """Per-atom annotations as ``[A]`` arrays (defaults where None)."""
        self.atom_names = _str_array(self.atom_names, n)
        self.residue_names = _str_array(self.residue_names, n)
        self.chains = _str_array(self.chains, n)
        self.residue_numbers = (
            np.zeros(n, dtype=np.int64)
            if self.residue_numbers is None
            else np.asarray(self.residue_numbers, dtype=np.int64).reshape(n)
        )
        self.hetero = (
            np.zeros(n, dtype=bool)
            if self.hetero is None
            else np.asarray(self.hetero, dtype=bool).reshape(n)
        )
        self.b_factors = (
            np.zeros(n, dtype=np.float64)
            if self.b_factors is None
            else np.asarray(self.b_factors, dtype=np.float64).reshape(n)
        )
        self.ligand_mask = (
            np.zeros(n, dtype=bool)
            if self.ligand_mask is None
            else np.asarray(self.ligand_mask, dtype=bool).reshape(n)
        )

    @property
    def n_atoms(self) -> int:
        """Number of atoms ``A``."""
        return int(self.elements.shape[0])

    @property
    def n_conformers(self) -> int:
        """Number of conformers ``K``."""
        return int(self.coords.shape[0])

    @property
    def has_hydrogens(self) -> bool:
        """Whether any atom is a hydrogen (or deuterium)."""
        return bool(np.isin(self.elements, ["H", "D"]).any())

    def conformer(self, k: int = 0) -> Molecule:
        """A copy holding only conformer ``k``."""
        if not -self.n_conformers <= k < self.n_conformers:
            raise MolfieldError(
                f"{self.name}: conformer {k} does not exist ({self.n_conformers} conformers)."
            )
        return self.subset(np.ones(self.n_atoms, bool), conformers=[k])

    def subset(self, mask: np.ndarray, conformers: list[int] | None = None) -> Molecule:
        """A copy holding the atoms where ``mask`` is True (and the given conformers)."""
        mask = np.asarray(mask)
        ks = list(range(self.n_conformers)) if conformers is None else list(conformers)
        assert self.conformer_names is not None
        return Molecule(
            elements=self.elements[mask],
            coords=self.coords[ks][:, mask],
            name=self.name,
            atom_names=self.atom_names[mask],
            residue_names=self.residue_names[mask],
            residue_numbers=self.residue_numbers[mask],
            chains=self.chains[mask],
            hetero=self.hetero[mask],
            b_factors=self.b_factors[mask],
            ligand_mask=self.ligand_mask[mask],
            source=self.source,
            smiles=self.smiles,
            properties=dict(self.properties),
            conformer_names=[self.conformer_names[k] for k in ks],
            ligand_residues=self.ligand_residues,
        )

    def __repr__(self) -> str:
        lig = int(self.ligand_mask.sum())
        return (
            f"Molecule({self.name!r}, atoms={self.n_atoms}, conformers={self.n_conformers}"
            + (f", ligand_atoms={lig}" if lig else "")
            + ")"
        )


def normalise_symbol(symbol: object) -> str:
    """``'CL'``, ``'cl'`` or ``' Cl '`` → ``'Cl'``; an empty symbol becomes ``'X'``."""
    s = str(symbol).strip()
    if not s:
        return "X"
    return s[0].upper() + s[1:].lower()
