"""Which model kind a fit of some inputs wants: the deformable model for an ensemble of
the same atoms, the modulated SIREN otherwise (shared by ``molfield fit --model`` and
the napari Fit widget; imports neither torch nor Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import MolfieldError

#: Model kinds a fit may be asked for.
MODEL_KINDS = ("auto", "siren", "deform")


def wants_deform(kind: str, inputs: Sequence[Any]) -> bool:
    """Whether ``kind`` (``"auto"``, ``"siren"`` or ``"deform"``) and the inputs call for a
    deformable fit.

    ``"auto"`` picks it when every input is a `Molecule`, they all hold the same atoms and
    there are at least two conformers in all.

    Raises
    ------
    MolfieldError
        For an unknown kind, and for ``"deform"`` with density maps, different atoms or a
        single conformer.
    """
    from ..chem.molecule import Molecule
    from .ensemble import atoms_differ, is_ensemble

    if kind not in MODEL_KINDS:
        raise MolfieldError(f"Unknown model kind {kind!r}: use {', '.join(MODEL_KINDS)}.")
    if kind == "siren":
        return False
    mols = [m for m in inputs if isinstance(m, Molecule)]
    if kind == "auto":
        return len(mols) == len(inputs) and is_ensemble(mols)
    if len(mols) != len(inputs):
        raise MolfieldError("--model deform fits molecules, not density maps.")
    why = atoms_differ(mols)
    if why is not None:
        raise MolfieldError(why)
    if sum(m.n_conformers for m in mols) < 2:
        raise MolfieldError("--model deform needs at least two conformers (files of the same "
                            "atoms, or a multi-model file).")
    return True


__all__ = ["MODEL_KINDS", "wants_deform"]
