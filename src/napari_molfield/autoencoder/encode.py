"""Encode molecules with a trained field auto-encoder, decode latents, measure PSNR.

The API the napari widgets build on::

    model = load_default_model()                  # the shipped FreeSolv auto-encoder
    z = encode_molecules(model, molecules)        # [M, L] latents
    field = decode_latent(model, z[0], 64)        # Field on a 64³ grid of the shared box
    ev = evaluate_molecules(model, molecules)     # PSNR per molecule (all / occupied channels)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.box import Box, unit_grid
from ..fields.field import Field
from ..fields.grid_decode import SubBox, decode_grid
from ..fields.metrics import channel_report, occupied_channels
from ..fields.sample import sample_points
from ..fields.skip import DEFAULT_THRESHOLD
from ..nn.atom_slots import AtomSlots, slot_table
from ..nn.fast_eval import FoldedEvaluator
from . import DEFAULT_REFINE_STEPS
from .datasets import DATASET_SUFFIXES, Record, RowProblem, load_dataset, prepare_molecule
from .inputs import field_inputs, normalised_grids
from .model import AEModel
from .placement import summarise
from .slot_refine import refine_slot_latents, slot_grids


def molecules_from(inputs: Sequence[str | os.PathLike[str] | Molecule], model: AEModel
                   ) -> tuple[list[Molecule], list[RowProblem]]:
    """Molecules from files, SMILES strings or `Molecule` objects, and what went wrong.

    SMILES are embedded as in training (cached ETKDGv3 + MMFF94 with the model's
    conformer seed). A file may be a dataset (FreeSolv, CSV, SMILES, SDF): bad rows are
    skipped and reported. Each problem is a `RowProblem` (``row`` is the input's 1-based
    position, or the row in a dataset file); ``skipped=False`` marks notes about a
    molecule that was kept (e.g. elements without a channel of the model).
    """
    mols: list[Molecule] = []
    problems: list[RowProblem] = []
    kw = {"channels": list(model.channels), "box_edge": model.box_edge}
    for pos, item in enumerate(inputs, start=1):
        if isinstance(item, Molecule):
            rec = Record(pos, item.name, item.smiles, dict(item.properties), item.conformer(0))
            m, probs = prepare_molecule(rec, **kw)
        elif Path(item).exists() or Path(str(item)).suffix.lower() in DATASET_SUFFIXES:
            ds = load_dataset(item, seed=model.conformer_seed, **kw)
            mols += ds.molecules
            problems += [RowProblem(p.row, f"{Path(item).name}: {p.name}", p.reason, p.skipped)
                         for p in ds.problems]
            continue
        else:
            rec = Record(pos, str(item), str(item))
            m, probs = prepare_molecule(rec, seed=model.conformer_seed, **kw)
        problems += probs
        if m is not None:
            mols.append(m)
    return mols, problems


def _grids(model: AEModel, mols: Sequence[Molecule]) -> tuple[np.ndarray, Any]:
    inp = field_inputs(mols, list(model.channels), model.box_edge, model.beta,
                       canonical=model.canonical)
    return normalised_grids(inp, model.resolution, model.beta), inp


def encode_molecules(model: AEModel, molecules: Sequence[Molecule | str],
                     batch: int = 32, refine_steps: int = 0) -> np.ndarray:
    """Latents ``[M, L]`` (float32) of molecules (or SMILES), first conformer each.

    With ``refine_steps > 0`` each encoder latent is then improved by that many Adam
    steps on the molecule's own exact field (network frozen; see :func:`refine_latents`).

    Raises
    ------
    MolfieldError
        When a molecule cannot be used (a SMILES RDKit cannot embed, a molecule larger
        than the box).
    """
    mols = _checked(model, molecules)
    out = []
    with torch.no_grad():
        for a in range(0, len(mols), batch):
            g, inp = _grids(model, mols[a : a + batch])
            gt = torch.as_tensor(g, device=model.device)
            z = model.net.encode(gt)
            if refine_steps:
                z = refine_latents(model, gt, z, refine_steps,
                                   amplitudes=atom_amplitudes(model, inp.scales))
            out.append(z.cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.latent_dim), np.float32)


def atom_amplitudes(model: AEModel, scales: np.ndarray) -> np.ndarray:
    """``[M, C]`` amplitude of one atom in each normalised channel, ``e^β / peak``, from
    the molecules' channel peaks ``scales``."""
    return np.exp(model.beta) / np.asarray(scales, np.float64)


def refine_latents(model: AEModel, grids: torch.Tensor, latents: torch.Tensor, steps: int,
                   lr: float = 1e-2, points: int = 2048, seed: int = 0,
                   amplitudes: np.ndarray | None = None) -> torch.Tensor:
    """Improve ``latents`` ``[B, L]`` by Adam steps on the MSE to ``grids`` (normalised
    ``[B, C, N, N, N]``) at ``points`` random voxels per step — half of them uniform, half
    among the voxels where some channel exceeds 5 % (where the molecule is: uniform voxels
    alone are mostly empty); the network is frozen. An atom-slot decoder refines its
    filled slots instead (`slot_refine`: every voxel the molecule reaches, its own ``lr``), and
    with the molecules' ``amplitudes`` (`atom_amplitudes`, known with the molecule) places
    exactly as many atoms as the field holds."""
    net = model.net
    if isinstance(net.siren, AtomSlots):
        return refine_slot_latents(net.siren, grids, latents, steps, seed=seed,
                                   amplitudes=amplitudes)
    flags = [p.requires_grad for p in net.parameters()]
    for p in net.parameters():
        p.requires_grad_(False)
    coords = torch.as_tensor(unit_grid(model.resolution), dtype=torch.float32,
                             device=latents.device)
    target = grids.flatten(2).transpose(1, 2)  # [B, N³, C]
    near = (target.amax(-1) > 0.05).float().cpu() + 1e-6  # [B, N³] draw weights
    gen = torch.Generator().manual_seed(seed)
    z = latents.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    try:
        with torch.enable_grad():
            for _ in range(int(steps)):
                uni = torch.randint(0, coords.shape[0], (z.shape[0], points - points // 2),
                                    generator=gen)
                occ = torch.multinomial(near, points // 2, replacement=True, generator=gen)
                idx = torch.cat([uni, occ], 1).to(z.device)
                y = torch.gather(target, 1, idx[..., None].expand(-1, -1, target.shape[2]))
                loss = torch.mean((net.siren(coords[idx], z) - y) ** 2)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    finally:
        for p, f in zip(net.parameters(), flags, strict=True):
            p.requires_grad_(f)
    return z.detach()


def _checked(model: AEModel, molecules: Sequence[Molecule | str]) -> list[Molecule]:
    """Every molecule ready to encode, or one error naming those that are not; notes about
    kept molecules (elements without a channel) become warnings."""
    mols, problems = molecules_from(list(molecules), model)
    hard = [p for p in problems if p.skipped]
    if hard or len(mols) != len(molecules):
        raise MolfieldError("Cannot encode: " + "; ".join(f"{p.name}: {p.reason}" for p in hard))
    for p in problems:
        warnings.warn(f"{p.name}: {p.reason}", stacklevel=3)
    return mols


def decode_latent(
    model: AEModel,
    latent: np.ndarray | torch.Tensor,
    resolution: int = 64,
    *,
    centre: Sequence[float] = (0.0, 0.0, 0.0),
    scale: np.ndarray | None = None,
    box: Box | None = None,
    sub_box: SubBox | None = None,
    chunk: int = 65536,
    skip_empty: bool = True,
    threshold: float | str = DEFAULT_THRESHOLD,
) -> Field:
    """Decode one latent ``[L]`` on a ``resolution³`` grid of the shared box.

    Values are on the normalised scale (each channel's peak ≈ 1); pass a molecule's
    ``scale`` (``[C]`` channel peaks) to get Eq. 1 units. ``centre`` places the network's
    box, Å; ``box`` samples another region in that frame, ``sub_box`` a tile of the grid.
    With ``skip_empty`` (default) the grid is decoded coarse-to-fine and empty space is 0
    (`fields.grid_decode.decode_grid`, the grid path of every model kind);
    ``skip_empty=False`` evaluates every voxel.
    """
    frame = Box(tuple(float(c) for c in centre), model.box_edge)
    region = frame if box is None else box
    z = torch.as_tensor(np.asarray(latent, dtype=np.float32), device=model.device).reshape(1, -1)
    if z.shape[1] != model.latent_dim:
        raise MolfieldError(f"A latent of length {z.shape[1]}; the model needs "
                            f"{model.latent_dim}.")
    cfg = model.net.decoder_config
    points = _points_function(model, z, frame, chunk)
    grid = decode_grid(points, region, resolution,
                       len(model.channels), sub_box=sub_box, skip_empty=skip_empty,
                       threshold=threshold, chunk_points=chunk,
                       hidden_units=cfg.width * getattr(cfg, "depth", 1))
    values = grid.values
    if scale is not None:
        values = values * np.asarray(scale, dtype=np.float32)[:, None, None, None]
    meta = {"beta": model.beta, "channels": list(model.channels), "resolution": int(resolution),
            "box": region.to_dict(), "normalised": scale is None, "source": "autoencoder",
            "skip_empty": grid.skip,
            "sub_box": None if sub_box is None else [list(r) for r in sub_box]}
    return Field(values, grid.origin, grid.spacing, model.channels, region, meta)


def _points_function(model: AEModel, z: torch.Tensor, frame: Box, chunk: int
                     ) -> Callable[[np.ndarray], np.ndarray]:
    """Field ``[P, C]`` at points (Å, ``frame``'s frame) of latent ``z`` ``[1, L]``: the
    folded network, or for an atom-slot decoder the compiled Eq. 1 of its slots."""
    dec = model.net.siren
    if isinstance(dec, AtomSlots):
        table = slot_table(dec, z, frame, model.channels)
        return lambda pts: sample_points(table, pts, beta=model.beta)
    ev = FoldedEvaluator(dec, z, chunk)
    return lambda pts: ev(frame.to_unit(pts))


def evaluate_molecules(model: AEModel, molecules: Sequence[Molecule | str],
                       batch: int = 16, refine_steps: int = 0) -> dict[str, Any]:
    """PSNR of encode → decode against Eq. 1 at the training grid, per molecule.

    ``refine_steps`` as in :func:`encode_molecules` (0: the encoder alone).

    Returns
    -------
    dict
        ``psnr`` and ``psnr_occupied`` (means over molecules, dB), ``per_molecule``
        (``[M]`` arrays ``psnr``/``psnr_occupied``/``psnr_zero``/``psnr_zero_occupied``,
        the last two the zero-field baselines), ``reports`` (a `FieldReport` per
        molecule), ``latents`` ``[M, L]``. PSNR uses MAX = 1 on peak-normalised fields
        and one MSE over all voxels of all channels (``psnr``) or of the occupied ones
        (``psnr_occupied``, `fields.metrics.occupied_channels`).
    """
    mols = _checked(model, molecules)
    was = model.net.training
    model.net.eval()
    grid = torch.as_tensor(unit_grid(model.resolution), dtype=torch.float32,
                           device=model.device)
    reports, lats = [], []
    with torch.no_grad():
        for a in range(0, len(mols), batch):
            g, inp = _grids(model, mols[a : a + batch])
            gt = torch.as_tensor(g, device=model.device)
            z = model.net.encode(gt)
            if refine_steps:
                z = refine_latents(model, gt, z, refine_steps,
                                   amplitudes=atom_amplitudes(model, inp.scales))
            if isinstance(model.net.siren, AtomSlots):
                pred = torch.as_tensor(slot_grids(model.net.siren, z, model.resolution,
                                                  model.channels, model.box_edge)).flatten(2)
            else:
                pred = model.net.decode(z, grid).transpose(1, 2)  # [B, C, N³]
            err = ((pred - gt.flatten(2)) ** 2).mean(dim=2).double().cpu().numpy()  # [B, C]
            zero = (gt.flatten(2) ** 2).mean(dim=2).double().cpu().numpy()
            reports += [channel_report(e, zm, occupied_channels(t))
                        for e, zm, t in zip(err, zero, g, strict=True)]
            lats.append(z.cpu().numpy())
    model.net.train(was)
    return {**summarise(reports),
            "latents": np.concatenate(lats), "names": [m.name for m in mols]}


__all__ = [
    "DEFAULT_REFINE_STEPS",
    "atom_amplitudes",
    "decode_latent",
    "encode_molecules",
    "evaluate_molecules",
    "molecules_from",
    "refine_latents",
]
