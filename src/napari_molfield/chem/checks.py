"""Checks shared by the readers: atoms present, elements known, coordinates finite,
exact duplicates found."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence

import numpy as np

from ..errors import MolfieldError
from .elements import UNKNOWN_ELEMENT, is_known_element
from .molecule import normalise_symbol


def checked_elements(
    label: str,
    elements: Sequence[object],
    coords: np.ndarray,
    atom_names: Sequence[object] | None = None,
    dummies_ok: bool = False,
) -> np.ndarray:
    """``[A]`` element symbols, unknown and dummy atoms as ``"X"`` (with one warning).

    Parameters
    ----------
    label
        The file name for messages.
    elements
        ``[A]`` symbols as read (any capitalisation; ``"*"``, ``"Du"``, ``"Qq"`` …).
    coords
        ``[..., A, 3]`` coordinates.
    atom_names
        ``[A]`` atom names, quoted in the warning.
    dummies_ok
        Read a file of dummy atoms only (a coarse-grained model: beads named ``BB``,
        ``SC1``, …) with every atom as ``"X"``, as MD tools read it; else such a file
        is refused (its element symbols were given and none is an element).

    Raises
    ------
    MolfieldError
        For a file without atoms, without any atom of a known element (unless
        ``dummies_ok``), or with NaN/inf coordinates.
    """
    if len(elements) == 0:
        raise MolfieldError(f"{label}: the file contains no atoms.")
    syms = [normalise_symbol(e) for e in elements]
    unknown = [i for i, s in enumerate(syms) if not is_known_element(s)]
    if len(unknown) == len(syms) and not dummies_ok:
        shown = sorted({str(elements[i]).strip() or "(blank)" for i in unknown})[:5]
        raise MolfieldError(
            f"{label}: no atom has a known element (unknown element symbol(s) "
            f"{', '.join(map(repr, shown))})."
        )
    if unknown:
        what = sorted(
            {str(atom_names[i]).strip() if atom_names is not None else str(elements[i]).strip()
             for i in unknown}
        )
        every = "all " if len(unknown) == len(syms) else ""
        warnings.warn(
            f"{label}: {every}{len(unknown)} atom(s) of unknown element or dummy atoms "
            f"({', '.join(map(repr, what[:5]))}{', …' if len(what) > 5 else ''}) are kept as "
            f"element {UNKNOWN_ELEMENT!r} in the 'other' channel.",
            stacklevel=4,
        )
        for i in unknown:
            syms[i] = UNKNOWN_ELEMENT
    if not np.isfinite(coords).all():
        raise MolfieldError(f"{label}: some atom coordinates are NaN or infinite.")
    return np.array(syms, dtype=object)


def warn_guessed(label: str, n_guessed: int, n_atoms: int) -> None:
    """One warning that elements were inferred from residue and atom names."""
    if n_guessed:
        which = "all" if n_guessed >= n_atoms else f"{n_guessed} of {n_atoms}"
        warnings.warn(
            f"{label}: no element column for {which} atoms; elements were inferred from "
            "residue and atom names.",
            stacklevel=4,
        )


def duplicate_atoms(keys: Sequence[Hashable], coords: np.ndarray, tol: float = 1e-3
                    ) -> np.ndarray:
    """``[A]`` True for atoms that repeat an earlier one: the same key (element, or
    residue and atom name) at the same position (within ``tol`` Å) in every conformer.

    Parameters
    ----------
    keys
        ``[A]`` what must match besides the position.
    coords
        ``[K, A, 3]`` (or ``[A, 3]``) coordinates in Å.
    """
    xyz = np.asarray(coords, np.float64)
    xyz = xyz[None] if xyz.ndim == 2 else xyz
    cells = np.round(xyz / tol).astype(np.int64)  # [K, A, 3]
    seen: set[tuple[Hashable, bytes]] = set()
    dup = np.zeros(xyz.shape[1], bool)
    for a in range(xyz.shape[1]):
        sig = (keys[a], cells[:, a].tobytes())
        dup[a] = sig in seen
        seen.add(sig)
    return dup


def warn_duplicates(label: str, n: int, same: str = "residue, name") -> None:
    """One warning that ``n`` exact duplicate atoms (the ``same`` what, and coordinates)
    were read once."""
    if n:
        warnings.warn(f"{label}: {n} exact duplicate atom(s) (same {same} and coordinates) "
                      "were read once.", stacklevel=4)
