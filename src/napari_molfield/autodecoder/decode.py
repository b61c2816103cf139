"""Decode a `FittedModel` on grids or at points, and the analytic truth to compare with.

Both `decode` and `truth_field` return values on the item's NORMALISED scale: channel
``c`` is divided by the item's stored ``scale[c]`` (``field.meta["scale"]``; multiply by
it to get back Eq. 1 units). They sample the very same voxel centres, so the honest
quality metric is ``psnr(decode(m, i, N).values, truth_field(m, i, N).values)`` (MAX = 1,
one MSE over every voxel and channel).

`decode` skips empty space by default (``skip_empty=True``): a coarse pass finds where
some channel exceeds a threshold (by default a few times the network's own floor in
empty space, within 0.05…0.1 of the peak: `fields.skip.AUTO_RANGE`) and only blocks
there are decoded; the rest is 0. `fields.skip.coarse_to_fine` states exactly what can be
missed: only occupied regions that hold no coarse sample, i.e. fit between samples ≤ 2.5 Å
apart.
``skip_empty=False`` evaluates every voxel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import AtomTable, ChannelSpec
from ..fields.field import Field
from ..fields.grid_decode import DEFAULT_CHUNK, SubBox, decode_grid, sample_truth
from ..fields.limits import check_resolution
from ..fields.skip import DEFAULT_THRESHOLD
from ..nn.device import pick_device
from ..nn.fast_eval import FoldedEvaluator
from .model import FittedModel


def decode(
    model: FittedModel,
    item: int | str = 0,
    resolution: int = 64,
    *,
    latent: torch.Tensor | np.ndarray | None = None,
    frame: Box | None = None,
    box: Box | None = None,
    sub_box: SubBox | None = None,
    chunk_points: int = DEFAULT_CHUNK,
    device: str | None = None,
    skip_empty: bool = True,
    threshold: float | str = DEFAULT_THRESHOLD,
) -> Field:
    """The network's field on the ``resolution³`` voxel-centred grid of ``box``.

    Parameters
    ----------
    model
        A fitted model.
    item
        Index or name of the item whose latent, frame and scale are used.
    resolution
        ``N`` voxels per edge.
    latent
        ``[L]`` code to decode instead of the item's (frame and scale stay the item's
        unless ``frame`` is given), e.g. an interpolation between items.
    frame
        The `Box` mapped to the network's ``[-1, 1]³`` (default: the item's box).
    box
        The region to sample (default: ``frame``); parts outside ``frame`` are
        extrapolation.
    sub_box
        ``((i0, i1), (j0, j1), (k0, k1))``: only these voxels of the ``N`` grid
        (half-open index ranges), e.g. a tile of a very fine grid.
    chunk_points
        Points per network call; bounds the working memory.
    device
        Default: where the network is.
    skip_empty
        Decode coarse-to-fine and leave empty space at 0 (`fields.skip.coarse_to_fine`):
        every connected region where some channel exceeds the threshold and that holds a
        coarse sample (voxels ≤ 2.5 Å apart) has the values of a dense decode. ``False``
        evaluates every voxel.
    threshold
        Normalised value (channel peaks ≈ 1) at or below which a voxel counts as empty;
        ``"auto"``: a few times the network's floor in empty space, within `AUTO_RANGE`
        (`fields.skip.auto_threshold`).

    Returns
    -------
    Field
        Normalised values, ``meta`` with ``scale``, ``item``, ``name``, ``beta`` and
        ``skip_empty`` (``None``, or the threshold, stride and evaluated fraction).
    """
    i = model.item_index(item)
    frame = model.box(i) if frame is None else frame
    dev = model.device if device is None else pick_device(device)
    ev = FoldedEvaluator(model.network, _latent(model, i, latent, dev), chunk_points, dev)
    grid = decode_grid(lambda pts: ev(frame.to_unit(pts)), frame if box is None else box,
                       resolution, len(model.channels), sub_box=sub_box,
                       skip_empty=skip_empty, threshold=threshold, chunk_points=chunk_points,
                       hidden_units=model.config.width * model.config.depth)
    meta = _meta(model, i, int(resolution), sub_box, "decoded", latent is not None)
    meta["skip_empty"] = grid.skip
    return Field(grid.values, grid.origin, grid.spacing, model.channels,
                 box=frame if box is None else box, meta=meta)


def decode_points(
    model: FittedModel,
    item: int | str,
    points: np.ndarray,
    *,
    latent: torch.Tensor | np.ndarray | None = None,
    frame: Box | None = None,
    chunk_points: int = DEFAULT_CHUNK,
    device: str | None = None,
) -> np.ndarray:
    """Normalised network values ``[..., C]`` at ``points`` ``[..., 3]`` (Å).

    ``item``, ``latent`` and ``frame`` are as in `decode`.
    """
    i = model.item_index(item)
    frame = model.box(i) if frame is None else frame
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[-1:] != (3,):
        raise MolfieldError(f"Points must have shape [..., 3], got {pts.shape}.")
    lead = pts.shape[:-1]
    flat = pts.reshape(-1, 3)
    dev = model.device if device is None else pick_device(device)
    z = _latent(model, i, latent, dev)
    out = np.empty((flat.shape[0], len(model.channels)), np.float32)
    with torch.inference_mode():
        mods = model.network.modulations(z[None])
        _eval_into(model.network, mods, frame, flat, out, chunk_points, dev)
    return out.reshape(*lead, len(model.channels))


def truth_field(
    model: FittedModel,
    item: int | str = 0,
    resolution: int = 64,
    *,
    box: Box | None = None,
    sub_box: SubBox | None = None,
    molecule: Molecule | None = None,
    conformer: int | None = None,
    channels: str | Sequence[str] | ChannelSpec | None = None,
    tol: float | None = None,
    device: str = "cpu",
) -> Field:
    """The analytic Eq. 1 field at the voxels `decode` samples, on the item's scale.

    Parameters
    ----------
    model, item, resolution, box, sub_box
        As in `decode`.
    molecule, conformer
        Compute the truth from this molecule instead of the atoms stored in the model; it
        must match the item (same elements; hydrogens are added if the fit added them).
    channels
        If given, must name the model's channels (a guard for callers mixing specs).
    tol, device
        As in `sample_points`.

    Raises
    ------
    MolfieldError
        When ``channels`` or ``molecule`` do not match the model.
    """

    i = model.item_index(item)
    if channels is not None:
        names = ChannelSpec.parse(channels).names
        if tuple(names) != tuple(model.channels):
            raise MolfieldError(
                f"The channels {', '.join(names)} differ from the model's "
                f"{', '.join(model.channels)}."
            )
    table = model.table(i) if molecule is None else _table_from(model, i, molecule, conformer)
    region = model.box(i) if box is None else box
    n = check_resolution(resolution, maximum=None)
    scale = model.scale(i).astype(np.float32)
    vals, origin = sample_truth(table, region, n, model.beta, sub_box=sub_box, tol=tol,
                                device=device)
    values = vals / scale[:, None, None, None]
    return Field(values, origin, region.spacing(n), model.channels, box=region,
                 meta=_meta(model, i, n, sub_box, "analytic", False))


def _table_from(
    model: FittedModel, i: int, molecule: Molecule, conformer: int | None
) -> AtomTable:
    meta = model.items[i]
    if meta.get("hydrogens_added") and not molecule.has_hydrogens:
        from ..chem.hydrogens import add_hydrogens

        molecule = add_hydrogens(molecule)
    counts = dict(sorted(Counter(str(e) for e in molecule.elements).items()))
    if meta.get("elements") and counts != meta["elements"]:
        raise MolfieldError(
            f"{molecule.name} does not match item {i} ({meta['name']}) of the model: "
            "its atoms differ."
        )
    k = int(meta.get("conformer", 0)) if conformer is None else int(conformer)
    if not -molecule.n_conformers <= k < molecule.n_conformers:
        raise MolfieldError(
            f"{molecule.name}: conformer {k} does not exist ({molecule.n_conformers})."
        )
    return ChannelSpec.parse(list(model.channels)).assign(molecule, k)


def _eval_into(
    net: torch.nn.Module,
    mods: torch.Tensor,
    frame: Box,
    pts: np.ndarray,
    out: np.ndarray,
    chunk: int,
    dev: torch.device,
) -> None:
    """Write the network at Å ``pts`` ``[P, 3]`` into ``out[:P]``, ``chunk`` points a call."""
    chunk = max(1, int(chunk))
    for a in range(0, pts.shape[0], chunk):
        u = torch.from_numpy(frame.to_unit(pts[a : a + chunk]).astype(np.float32)).to(dev)
        y = net.forward_modulated(u[None], mods)[0]
        out[a : a + len(u)] = y.float().cpu().numpy()


def _latent(
    model: FittedModel, i: int, latent: torch.Tensor | np.ndarray | None, dev: torch.device
) -> torch.Tensor:
    if latent is None:
        return model.latent(i).to(dev)
    z = torch.as_tensor(np.asarray(latent, dtype=np.float32) if not torch.is_tensor(latent)
                        else latent.detach()).float().reshape(-1)
    if z.numel() != model.config.latent_dim:
        raise MolfieldError(
            f"A latent of the model has {model.config.latent_dim} values, got {z.numel()}."
        )
    return z.to(dev)


def _meta(
    model: FittedModel, i: int, n: int, sub_box: SubBox | None, kind: str, custom: bool
) -> dict[str, Any]:
    it = model.items[i]
    return {
        "kind": kind,
        "item": i,
        "name": it["name"] if not custom else f"{it['name']} (custom latent)",
        "source": it.get("source"),
        "normalised": True,
        "scale": list(it["scale"]),
        "beta": model.beta,
        "resolution": n,
        "sub_box": None if sub_box is None else [list(r) for r in sub_box],
    }


__all__ = ["decode", "decode_points", "truth_field"]
