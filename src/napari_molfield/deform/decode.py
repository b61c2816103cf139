"""Decode a `DeformModel`: fields on grids and at points, displacements, and atoms.

Fields are on the ensemble's normalised scale (``field.meta["scale"]``), like the
auto-decoder's `decode`; `truth_field` gives the Eq. 1 field at the same voxels, so
``psnr(decode_deform(m, k, N).values, truth_field(m, k, N).values)`` is the honest metric.

Atoms of any latent (`atoms_at`) solve ``x + D(x, z) = x_template`` by a few Newton
steps per atom; at a conformer's own latent they give back its atoms up to the fit error.
A model with the ``"atoms"`` decoder gives its atoms straight from the latent, and its
field is Eq. 1 of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.field import Field
from ..fields.grid_decode import DEFAULT_CHUNK, SubBox, decode_grid, sample_truth
from ..fields.limits import check_resolution
from ..fields.skip import DEFAULT_THRESHOLD
from ..nn.deform_net import DeformNet
from .model import DeformModel

#: Newton iterations of `atoms_at` (at most), their step limit and tolerance (Å).
ATOM_ITERATIONS = 8
MAX_STEP = 1.0
NEWTON_TOL = 1e-3


def as_latent(model: DeformModel, item: int | str, latent: Any = None) -> torch.Tensor:
    """``[L]`` float32 latent: ``latent`` if given, else the item's; on the model's device."""
    if latent is None:
        return model.latent(item).to(model.device)
    z = (latent.detach() if torch.is_tensor(latent)
         else torch.as_tensor(np.asarray(latent, dtype=np.float32))).float().reshape(-1)
    if z.numel() != model.config.latent_dim:
        raise MolfieldError(
            f"A latent of the model has {model.config.latent_dim} values, got {z.numel()}."
        )
    return z.to(model.device)


@torch.inference_mode()
def decode_points(model: DeformModel, item: int | str, points: np.ndarray, *,
                  latent: Any = None, chunk_points: int = DEFAULT_CHUNK) -> np.ndarray:
    """Normalised field ``[..., C]`` at ``points`` ``[..., 3]`` (Å) for ``item``'s latent."""
    pts = _points(points)
    z = as_latent(model, item, latent)
    if model.decodes_atoms:
        from ..fields.sample import sample_points

        table = model.table(item, coords=atoms_at(model, z))
        vals = sample_points(table, pts, beta=model.beta)
        return (vals / model.scale(item)).astype(np.float32)
    net, dev = model.network, model.device
    assert isinstance(net, DeformNet)
    wmods = net.warp.modulations(z[None])
    tmods = net.template_mods()
    flat = pts.reshape(-1, 3)
    out = np.empty((flat.shape[0], len(model.channels)), np.float32)
    for a in range(0, flat.shape[0], max(1, int(chunk_points))):
        u = torch.from_numpy(model.region.to_unit(flat[a : a + chunk_points]).astype(np.float32))
        u = u.to(dev)[None]
        v = u + net.warp.forward_modulated(u, wmods)
        out[a : a + u.shape[1]] = net.template_values(v, tmods)[0].float().cpu().numpy()
    return out.reshape(*pts.shape[:-1], len(model.channels))


def decode_deform(model: DeformModel, item: int | str = 0, resolution: int = 64, *,
                  latent: Any = None, box: Box | None = None, sub_box: SubBox | None = None,
                  skip_empty: bool = True, threshold: float | str = DEFAULT_THRESHOLD,
                  chunk_points: int = DEFAULT_CHUNK) -> Field:
    """The field of ``item`` (or of ``latent``) on the ``N³`` grid of ``box`` (default: the
    ensemble's box), with the options of every kind's decode (`fields.grid_decode`)."""
    i = model.item_index(item)
    region = model.region if box is None else box
    z = as_latent(model, i, latent)
    cfg = model.config
    meta = {"kind": "decoded", "item": i, "normalised": True, "beta": model.beta,
            "scale": list(model.items[i]["scale"]), "resolution": int(resolution),
            "name": model.items[i]["name"] + (" (custom latent)" if latent is not None else ""),
            "source": model.source, "skip_empty": skip_empty,
            "sub_box": None if sub_box is None else [list(r) for r in sub_box]}
    if model.decodes_atoms:  # Eq. 1 of the decoded atoms: exact, no network per voxel
        f = truth_field(model, i, resolution, coords=atoms_at(model, z), box=region,
                        sub_box=sub_box)
        return Field(f.values, f.origin, f.spacing, model.channels, box=region, meta=meta)
    grid = decode_grid(
        lambda pts: decode_points(model, i, pts, latent=z, chunk_points=chunk_points),
        region, resolution, len(model.channels), sub_box=sub_box, skip_empty=skip_empty,
        threshold=threshold, chunk_points=chunk_points,
        hidden_units=cfg.width * cfg.depth + cfg.warp_width * cfg.warp_depth,
    )
    meta["skip_empty"] = grid.skip
    return Field(grid.values, grid.origin, grid.spacing, model.channels, box=region,
                 meta=meta)


def truth_field(model: DeformModel, item: int | str = 0, resolution: int = 64, *,
                coords: np.ndarray | None = None, box: Box | None = None,
                sub_box: SubBox | None = None) -> Field:
    """Eq. 1 of conformer ``item`` (or of atoms ``coords`` ``[A, 3]``) at the voxels
    `decode_deform` samples, on the model's scale."""
    n = check_resolution(resolution, maximum=None)
    region = model.region if box is None else box
    table = model.table(item, coords=coords)
    scale = model.scale(item).astype(np.float32)
    vals, origin = sample_truth(table, region, n, model.beta, sub_box=sub_box)
    return Field(vals / scale[:, None, None, None], origin, region.spacing(n), model.channels,
                 box=region,
                 meta={"kind": "analytic", "normalised": True, "beta": model.beta,
                       "scale": [float(s) for s in scale], "resolution": n})


@torch.inference_mode()
def displacement(model: DeformModel, points: np.ndarray, item: int | str = 0, *,
                 latent: Any = None) -> np.ndarray:
    """``D(x, z)`` in Å ``[..., 3]`` at ``points`` ``[..., 3]`` (Å)."""
    pts = _points(points)
    z = as_latent(model, item, latent)
    if not isinstance(model.network, DeformNet):
        raise MolfieldError("This model decodes atoms, not a displacement field.")
    u = torch.from_numpy(model.region.to_unit(pts.reshape(-1, 3)).astype(np.float32))
    d = model.network.displacement(u.to(model.device)[None], z[None])[0]
    return d.double().cpu().numpy().reshape(pts.shape) * (model.region.edge / 2)


@torch.inference_mode()
def atoms_at(model: DeformModel, latent: Any, *, iterations: int = ATOM_ITERATIONS,
             start: np.ndarray | None = None) -> np.ndarray:
    """Atoms ``[A, 3]`` (Å) whose warp lands on the template: ``x + D(x, z) = x_template``.

    Newton steps with the 3 × 3 Jacobian of ``x + D`` per atom (central differences),
    each step at most `MAX_STEP` Å, from ``start`` (Å, ``[A, 3]``; default
    ``x_template − D(x_template, z)``). A model with the ``"atoms"`` decoder gives its
    atoms at once (no solve: ``iterations`` and ``start`` are not used).
    """
    z = as_latent(model, 0, latent)[None]
    box, net = model.region, model.network
    if not isinstance(net, DeformNet):
        return box.from_unit(net(z)[0].double().cpu().numpy())
    dev = model.device
    tmpl = torch.from_numpy(box.to_unit(model.template_xyz).astype(np.float32)).to(dev)
    wmods = net.warp.modulations(z)

    def warp(u: torch.Tensor) -> torch.Tensor:
        return u + net.warp.forward_modulated(u[None], wmods)[0]

    u = (tmpl - net.warp.forward_modulated(tmpl[None], wmods)[0] if start is None
         else torch.from_numpy(box.to_unit(np.asarray(start, dtype=np.float64))
                               .astype(np.float32)).to(dev))
    h = 0.05 / (box.edge / 2)  # 0.05 Å
    cap = MAX_STEP / (box.edge / 2)
    eye = torch.eye(3, device=dev)
    for _ in range(max(1, int(iterations))):
        r = warp(u) - tmpl  # [A, 3]
        if float(r.abs().max()) * box.edge / 2 < NEWTON_TOL:
            break
        cols = [(warp(u + h * eye[j]) - warp(u - h * eye[j])) / (2 * h) for j in range(3)]
        jac = torch.stack(cols, dim=-1)  # [A, 3, 3]: d(x + D)_i / dx_j
        ok = torch.linalg.det(jac).abs() > 1e-3
        step = torch.where(ok[:, None], torch.linalg.solve(
            torch.where(ok[:, None, None], jac, eye), r.unsqueeze(-1)).squeeze(-1), r)
        norm = step.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        u = u - step * torch.clamp(cap / norm, max=1.0)
    return box.from_unit(u.double().cpu().numpy())


def _points(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[-1:] != (3,):
        raise MolfieldError(f"Points must have shape [..., 3], got {pts.shape}.")
    return pts


__all__ = ["as_latent", "atoms_at", "decode_deform", "decode_points", "displacement",
           "truth_field"]
