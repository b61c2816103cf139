"""What every model kind does, one function each: decode, truth, interpolator, atoms,
latents. The only place (with `files`) that knows which module implements what for which
kind; the CLI, the widgets and notebooks call these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MolfieldError
from ..fields.skip import DEFAULT_THRESHOLD
from .kinds import AUTOENCODER, DEFORMABLE, kind_of

if TYPE_CHECKING:
    from ..atoms.result import RecoveredAtoms
    from ..chem.molecule import Molecule
    from ..fields.box import Box
    from ..fields.field import Field
    from ..fields.grid_decode import SubBox


def decode(
    model: Any,
    item: int | str = 0,
    resolution: int = 64,
    *,
    latent: Any = None,
    box: Box | None = None,
    sub_box: SubBox | None = None,
    skip_empty: bool = True,
    threshold: float | str = DEFAULT_THRESHOLD,
) -> Field:
    """The field of ``item`` (or of ``latent`` in ``item``'s frame) on a ``resolution³``
    grid, for any model kind, with the same options (`fields.grid_decode.decode_grid`).

    Parameters
    ----------
    model
        Any model (`FieldModel`).
    item
        Index or name of the item whose latent, box and scale are used.
    resolution
        Voxels per edge ``N`` (any: the network is continuous).
    latent
        ``[L]`` code decoded instead of the item's (an interpolation, a latent-map point).
    box
        Region to sample (default: the item's box).
    sub_box
        Half-open voxel ranges of the ``N³`` grid: a tile of a very fine grid.
    skip_empty, threshold
        Coarse-to-fine decoding that leaves empty space at 0; ``skip_empty=False``
        evaluates every voxel.

    Returns
    -------
    Field
        Values on the item's normalised scale (``meta["scale"]`` turns them into Eq. 1
        units; the auto-encoder has none).
    """
    kind = kind_of(model)
    if kind == DEFORMABLE:
        from ..deform.decode import decode_deform

        return decode_deform(model, item, resolution, latent=latent, box=box, sub_box=sub_box,
                             skip_empty=skip_empty, threshold=threshold)
    if kind == AUTOENCODER:
        from ..autoencoder.encode import decode_latent

        z = model.latent(item) if latent is None else latent
        return decode_latent(model, z, resolution, box=box, sub_box=sub_box,
                             skip_empty=skip_empty, threshold=threshold)
    from ..autodecoder.decode import decode as decode_items

    return decode_items(model, item, resolution, latent=latent, box=box, sub_box=sub_box,
                        skip_empty=skip_empty, threshold=threshold)


def truth(
    model: Any,
    item: int | str = 0,
    resolution: int = 64,
    *,
    box: Box | None = None,
    sub_box: SubBox | None = None,
    molecule: Molecule | None = None,
) -> Field:
    """The analytic Eq. 1 field that `decode` approximates, at the same voxels (``box``,
    ``sub_box`` as in `decode`) and on the same scale: from the atoms the model stores, or
    from ``molecule`` (the same atoms; of a multi-model file, the item's conformer).

    Raises
    ------
    MolfieldError
        For an auto-encoder (it stores no atoms: compare with the molecule you encoded,
        `autoencoder.encode.evaluate_molecules`) and for a molecule that does not match.
    """
    kind = kind_of(model)
    if kind == AUTOENCODER:
        raise MolfieldError("An auto-encoder stores no atoms to compare with: encode the "
                            "molecule and compare with it (molfield encode reports PSNR).")
    if kind == DEFORMABLE:
        from ..deform.decode import truth_field as deform_truth

        coords = None
        if molecule is not None:
            if molecule.n_atoms != model.n_atoms:
                raise MolfieldError(f"{molecule.name} has {molecule.n_atoms} atoms; the "
                                    f"model's conformers have {model.n_atoms}.")
            # a multi-model file of the ensemble: the item's own conformer
            k = int(model.items[model.item_index(item)].get("conformer", 0))
            coords = molecule.coords[k if k < molecule.n_conformers else 0]
        return deform_truth(model, item, resolution, coords=coords, box=box,
                            sub_box=sub_box)
    from ..autodecoder.decode import truth_field

    return truth_field(model, item, resolution, box=box, sub_box=sub_box, molecule=molecule)


def interpolator(
    model: Any,
    keys: Sequence[int | str] | np.ndarray,
    resolution: int = 48,
    *,
    mode: str = "linear",
    support: str = "atoms",
    names: Sequence[str] | None = None,
) -> Any:
    """An interpolator along a path through key items (or, for an auto-encoder, through
    key latents ``[K, L]`` or dataset items) decoded at ``resolution³``.

    Every kind returns the same interface (`interpolation`): ``values(t)``, ``field(t)``,
    ``frames(n)``, ``latent(t)``, ``moves_atoms`` and, where atoms move with the field
    (deformable models), ``atoms(t)`` and ``write_atoms``.
    """
    kind = kind_of(model)
    if kind == DEFORMABLE:
        from ..deform.interpolate import interpolator as deform_path

        return deform_path(model, list(keys), resolution, mode=mode, support=support,
                           names=names)
    if kind == AUTOENCODER:
        from ..autoencoder.interpolate import interpolator as latent_path

        arr = np.asarray(keys)
        if arr.ndim != 2:  # dataset items by index or name
            idx = [model.item_index(k) for k in keys]
            arr = np.stack([model.latent(i).numpy() for i in idx])
            names = list(names) if names else [model.item_names[i] for i in idx]
        return latent_path(model, arr, resolution, mode=mode, support=support, names=names)
    from ..autodecoder.interpolate import interpolator as item_path

    return item_path(model, list(keys), resolution, mode=mode, support=support, names=names)


def atoms(
    model: Any,
    item: int | str = 0,
    resolution: int = 48,
    *,
    latent: Any = None,
    charge: int = 0,
    **kwargs: Any,
) -> RecoveredAtoms:
    """Atoms (and bonds) of ``item`` (or of ``latent``), refined on the network itself.

    Auto-decoder and deformable items use their known channel scales; an auto-encoder
    latent has none, so the recovery estimates them. ``kwargs`` go to
    `atoms.recover.atoms_from_callable`.
    """
    kind = kind_of(model)
    if kind == DEFORMABLE:
        from ..atoms.models import atoms_from_deform

        return atoms_from_deform(model, item, resolution, latent=latent, charge=charge,
                                 **kwargs)
    if kind == AUTOENCODER:
        from ..atoms.models import atoms_from_latent

        z = model.latent(item).numpy() if latent is None else np.asarray(latent)
        return atoms_from_latent(model, z, resolution, charge=charge, **kwargs)
    from ..atoms.models import atoms_from_model

    return atoms_from_model(model, item, resolution, latent=latent, charge=charge, **kwargs)


def latents(model: Any) -> np.ndarray:
    """``[I, L]`` float32 latents of every item (a copy)."""
    kind_of(model)
    if model.n_items == 0:
        return np.zeros((0, model.latent_dim), np.float32)
    return np.stack([np.asarray(model.latent(i).detach().cpu().numpy(), np.float32)
                     for i in range(model.n_items)])


def item_coords(model: Any) -> np.ndarray | None:
    """``[I, A, 3]`` atoms (Å) of every item when they are conformers of the same atoms
    (a deformable model; an auto-decoder of a trajectory or an ensemble), else ``None``.

    For an auto-decoder these are the atoms its channels hold, in the same order for every
    item of the same molecule.
    """
    kind = kind_of(model)
    if kind == DEFORMABLE:
        return np.asarray(model.coords, dtype=np.float64)
    if kind == AUTOENCODER or getattr(model, "atoms", None) is None:
        return None
    off = np.asarray(model.atoms.offsets)
    sizes = np.diff(off)
    if len(sizes) == 0 or (sizes != sizes[0]).any() or sizes[0] == 0:
        return None
    return np.asarray(model.atoms.xyz, dtype=np.float64).reshape(len(sizes), int(sizes[0]), 3)


def held_out(model: Any) -> list[int]:
    """Items left out of the model's fit (their latents fitted afterwards, from their
    fields alone); empty for every other model."""
    kind_of(model)
    items = getattr(model, "items", None) or []
    return [i for i, it in enumerate(items) if isinstance(it, dict) and it.get("held_out")]


__all__ = ["atoms", "decode", "held_out", "interpolator", "item_coords", "latents", "truth"]
