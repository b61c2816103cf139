"""A latent path through conformers of a `DeformModel`: fields that move, and the atoms
that move them (`interpolation.deform.DeformInterpolator`).

The same constructor exists in every model kind (``autodecoder.interpolate``,
``autoencoder.interpolate``)::

    interp = interpolator(model, [0, 1], 48)
    field = interp.field(0.5)            # Field [C, N, N, N], normalised values
    xyz = interp.atoms(0.5)              # [A, 3] Å; the keys give back their atoms
    interp.write_atoms("movie.pdb", 24)  # a multi-model PDB of 24 frames
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..interpolation.deform import AtomPathInterpolator, DeformInterpolator, KeyAtoms
from ..nn.deform_net import DeformNet
from .decode import atoms_at, truth_field
from .model import DeformModel


def interpolator(model: DeformModel, keys: Sequence[int | str] | None, resolution: int, *,
                 mode: str = "linear", support: str = "atoms",
                 names: Sequence[str] | None = None
                 ) -> DeformInterpolator | AtomPathInterpolator:
    """Frames of fields and atoms along the path through conformers ``keys``.

    Parameters
    ----------
    model
        A fitted deformable model.
    keys
        Key conformers in path order (indices or names); ``None``: every conformer, in
        data order (frame by frame along an MD trajectory or an NMR ensemble).
    resolution
        ``N`` voxels per edge (the ensemble's box).
    mode
        ``"linear"`` (what the fit trains for) or ``"slerp"``.
    support
        ``"atoms"`` (voxels near the atoms of the keys and of the morphs between them)
        or ``"all"``.
    names
        Names of the keys (default: the conformers' names).
    """
    ids = (list(range(model.n_items)) if keys is None
           else [model.item_index(i) for i in keys])

    def solve(latent: np.ndarray, start: np.ndarray) -> np.ndarray:
        return atoms_at(model, latent, start=start)

    atoms = KeyAtoms(model.coords[ids], model.atoms, solve)
    names = names if names is not None else [model.items[i]["name"] for i in ids]
    scale = model.scale(ids[0]) if ids else np.ones(1)
    if model.decodes_atoms:  # every frame is Eq. 1 of its decoded atoms
        def render(xyz: np.ndarray) -> np.ndarray:
            return truth_field(model, ids[0], resolution, coords=xyz).values

        return AtomPathInterpolator(
            model.latents[ids].detach(), model.region, model.channels, resolution, atoms,
            render, scale=scale, beta=model.beta, mode=mode, names=names,
            meta={"items": ids, "model": "deformable"})
    assert isinstance(model.network, DeformNet)
    return DeformInterpolator(
        model.network, model.latents[ids].detach(), model.region, model.channels,
        resolution, atoms, scale=scale, beta=model.beta, mode=mode, support=support,
        names=names, meta={"items": ids, "model": "deformable"},
    )


__all__ = ["interpolator"]
