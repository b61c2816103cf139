"""Train the field auto-encoder (3D conv encoder + modulated SIREN) as a plain generator.

``run = train(...)``; iterating ``run`` yields one :class:`Progress` per optimiser step
and can stop at any step; ``run.model`` is the current :class:`AEModel` and
``run.save(path)`` writes a resumable checkpoint. The same code runs under
``torchrun --nproc-per-node K``: :func:`init_distributed` joins the process group (NCCL on
GPUs, gloo on CPU), every rank takes its share of each global batch of molecules,
`DistributedDataParallel` averages the gradients, and only rank 0 evaluates, saves and
reports.

Targets are precomputed once per molecule (grid at the training resolution, divided by
the per-channel peaks of `channel_peaks`, plus near-atom points with exact targets from
`sample_points`, via the auto-decoder's point pools); with ``rotate=True`` every step
draws random rotations and computes the fields on the fly instead.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .chem.molecule import Molecule
from .datasets import Dataset, field_inputs, load_dataset, make_split, random_rotations
from .errors import MolfieldError
from .nn.config import ModelConfig
from .nn.encoder import AutoEncoder, EncoderConfig
from .nn.siren import pick_device

#: Fraction of each molecule's grid points drawn among voxels where some channel > 1e-3.
OCCUPIED_THRESHOLD = 1e-3


@dataclass(frozen=True)
class TrainConfig:
    """How an auto-encoder training runs.

    Parameters
    ----------
    steps, time_budget
        Stop after ``steps`` optimiser steps or ``time_budget`` seconds, whichever first.
    batch_items
        Molecules per global batch (split evenly over the ranks).
    batch_points
        Points per molecule and step.
    frac_near
        Fraction of the points drawn from the near-atom pool (exact off-grid targets);
        the rest are voxel centres of the training grid.
    frac_occupied
        Of the voxel points, the fraction drawn among occupied voxels.
    lr, lr_encoder, lr_final
        Adam learning rates of the SIREN and of the encoder; cosine decay to
        ``lr_final`` × the first over the run (over the time budget when one is given).
    latent_l2
        Weight of ``mean(z²)`` in the loss (keeps the latent space compact).
    rotate
        Random rotations of every molecule at every step (augmentation).
    pool_near
        Near-atom points per molecule in the precomputed pool.
    eval_every, eval_items
        Steps between PSNR evaluations and molecules evaluated per split.
    seed, device
        Seed of weights, batches and points; ``"auto"``, ``"cpu"``, ``"cuda"``, …
    """

    steps: int | None = 2000
    time_budget: float | None = None
    batch_items: int = 16
    batch_points: int = 2048
    frac_near: float = 0.25
    frac_occupied: float = 0.5
    lr: float = 3e-4
    lr_encoder: float = 5e-4
    lr_final: float = 0.05
    latent_l2: float = 0.0
    rotate: bool = False
    pool_near: int = 4096
    eval_every: int = 250
    eval_items: int = 32
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.steps is None and self.time_budget is None:
            raise MolfieldError("Give a number of steps or a time budget.")
        if self.batch_items < 1 or self.batch_points < 1:
            raise MolfieldError("Batch items and batch points must be positive.")
        if not (0 <= self.frac_near <= 1 and 0 <= self.frac_occupied <= 1):
            raise MolfieldError("Point fractions must lie in [0, 1].")
        if self.time_budget is not None and self.time_budget <= 0:
            raise MolfieldError("The time budget must be a positive number of seconds.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class Progress:
    """One optimiser step: ``loss`` of the global batch; PSNRs (dB) at evaluation steps."""

    step: int
    loss: float
    elapsed: float
    lr: float
    train_psnr: float | None = None
    val_psnr: float | None = None
    val_psnr_occupied: float | None = None


@dataclass(eq=False)
class AEModel:
    """A trained auto-encoder with everything needed to encode new molecules.

    Attributes
    ----------
    net
        The :class:`AutoEncoder` (encoder + modulated SIREN).
    channels
        Channel names, in order.
    resolution
        Grid edge ``N`` the encoder reads (and PSNR is reported at).
    box_edge
        Edge of the shared box, Å.
    beta
        β of Eq. 1.
    conformer_seed
        Seed of the RDKit embedding of SMILES.
    meta
        JSON-friendly: ``split`` (train/val/test names and seed), ``dataset`` (names,
        SMILES, properties, skipped rows), ``train`` (`TrainConfig`), ``history``,
        ``step``, ``elapsed``, ``evaluation``.
    dataset_latents
        ``[M, L]`` latents of the dataset molecules (same order as ``meta['dataset']``).
    """

    net: AutoEncoder
    channels: tuple[str, ...]
    resolution: int
    box_edge: float
    beta: float
    conformer_seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    dataset_latents: np.ndarray | None = None

    @property
    def latent_dim(self) -> int:
        """Latent length ``L``."""
        return self.net.decoder_config.latent_dim

    @property
    def device(self) -> torch.device:
        """Where the network lives."""
        return next(self.net.parameters()).device

    def save(self, path: str | os.PathLike[str], optimizer: Any = None) -> Path:
        """Write a checkpoint (see :func:`napari_molfield.encode.save_autoencoder`)."""
        from .encode import save_autoencoder

        return save_autoencoder(self, path, optimizer=optimizer)


# ------------------------------------------------------------------------ distributed


@dataclass(frozen=True)
class DistInfo:
    """Rank, world size and local rank of this process (1 process: 0, 1, 0)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process reports and writes files."""
        return self.rank == 0


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the ``torchrun`` process group when ``WORLD_SIZE > 1`` (idempotent).

    NCCL when CUDA is used, gloo on CPU; each rank on CUDA uses ``cuda:LOCAL_RANK``.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    if not dist.is_initialized():
        dev = pick_device(device)
        backend = "nccl" if dev.type == "cuda" else "gloo"
        if dev.type == "cuda":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), dist.get_world_size(), local)


def _rank_device(device: str, info: DistInfo) -> torch.device:
    dev = pick_device(device)
    if dev.type == "cuda" and info.world > 1:
        return torch.device("cuda", info.local_rank)
    return dev


# --------------------------------------------------------------------------- presets


#: Auto-encoder shapes (pinned here, independent of the auto-decoder presets):
#: ``(encoder base maps, latent length, SIREN width, SIREN depth)``.
AE_PRESETS: dict[str, tuple[int, int, int, int]] = {
    "tiny": (8, 16, 32, 3),
    "cpu": (16, 128, 128, 4),
    "gpu": (32, 256, 256, 5),
}


def ae_configs(
    preset: str, channels: int, latent_dim: int | None, resolution: int
) -> tuple[EncoderConfig, ModelConfig]:
    """Encoder and decoder shapes of an auto-encoder preset (``tiny``, ``cpu``, ``gpu``)."""
    if preset not in AE_PRESETS:
        raise MolfieldError(f"Unknown preset {preset!r}: use one of {', '.join(AE_PRESETS)}.")
    base, latent, width, depth = AE_PRESETS[preset]
    latent = int(latent_dim or latent)
    levels = 3 if resolution % 8 == 0 else 2 if resolution % 4 == 0 else 1
    dec = ModelConfig(out_channels=channels, latent_dim=latent, width=width, depth=depth,
                      w0_first=60.0, w0_hidden=30.0)
    return EncoderConfig(channels, latent, resolution, base, levels), dec


# ----------------------------------------------------------------------------- data


@dataclass(eq=False)
class _Data:
    """Molecules with their precomputed targets (on one device)."""

    molecules: list[Molecule]
    grid_y: torch.Tensor  # [M, N³, C] normalised grid targets (empty with rotate)
    near_x: torch.Tensor  # [M, P, 3] unit frame
    near_y: torch.Tensor  # [M, P, C]
    occupied_voxels: torch.Tensor  # [M, N³] float mask
    occupied: np.ndarray  # [M, C]


def _precompute(mols: list[Molecule], model: AEModel, pool_near: int, seed: int,
                device: torch.device, grids: bool = True) -> _Data:
    from .nn.pools import build_pools

    inp = field_inputs(mols, model.channels, model.box_edge, model.beta)
    n = model.resolution
    if not grids:
        e = torch.zeros(0)
        return _Data(mols, e, e, e, e, inp.occupied)
    pools = build_pools(
        inp.tables, inp.boxes, list(inp.scales), n, n_uniform=0, n_near=pool_near,
        near_sigma=0.5, beta=model.beta, rng=np.random.default_rng([seed, 7]),
        device=device,
    )
    occ = (pools.grid_y.amax(dim=2) > OCCUPIED_THRESHOLD).float()
    return _Data(mols, pools.grid_y, pools.rand_x, pools.rand_y, occ, inp.occupied)


def _as_molecules(data: Any, channels: Any, box_edge: float, seed: int,
                  cache_dir: Any) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_dataset(data, channels=channels, box_edge=box_edge, seed=seed,
                            cache_dir=cache_dir)
    mols = list(data)
    return Dataset(mols, [], "molecules", len(mols))


# ----------------------------------------------------------------------------- train


class TrainRun:
    """The training generator; see :func:`train`."""

    def __init__(
        self,
        model: AEModel,
        dataset: Dataset,
        split: dict[str, list[str]],
        config: TrainConfig,
        dist: DistInfo,
        resume_state: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.dist = dist
        self.dataset = dataset
        self.split = split
        self.device = model.device
        by_name = {m.name: m for m in dataset.molecules}
        self.parts = {k: [by_name[n] for n in v] for k, v in split.items()}
        if not self.parts["train"]:
            raise MolfieldError("The training split holds no molecules.")
        if config.batch_items % dist.world:
            raise MolfieldError(
                f"The global batch of {config.batch_items} molecules does not split evenly "
                f"over {dist.world} processes."
            )
        self.train_data = _precompute(self.parts["train"], model, config.pool_near,
                                      config.seed, self.device, grids=not config.rotate)
        self._eval_cache: dict[str, tuple[torch.Tensor, np.ndarray]] = {}
        net: torch.nn.Module = model.net
        if dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            net = DDP(model.net, device_ids=ids)
        self.net = net
        self.optimizer = torch.optim.Adam([
            {"params": model.net.encoder.parameters(), "lr": config.lr_encoder},
            {"params": model.net.siren.parameters(), "lr": config.lr},
        ])
        self.step = int(model.meta.get("step", 0))
        self.elapsed0 = float(model.meta.get("elapsed", 0.0))
        if resume_state:
            _load_optimizer(self.optimizer, resume_state)
        self.history: list[dict[str, Any]] = list(model.meta.get("history", []))
        self._meta()

    def _meta(self) -> None:
        ds = self.dataset
        self.model.meta.update({
            "split": {"seed": self.config.seed, **self.split},
            "train": self.config.to_dict(),
            "dataset": {
                "source": ds.source,
                "names": ds.names,
                "smiles": [m.smiles for m in ds.molecules],
                "properties": {k: v.tolist() for k, v in ds.properties().items()},
                "n_rows": ds.n_rows,
                "skipped": [str(p) for p in ds.skipped],
            },
            "world_size": self.dist.world,
        })

    # --------------------------------------------------------------------- batches

    def _batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This rank's grids, points and targets of the global batch of ``step``."""
        c, d = self.config, self.train_data
        rng = np.random.default_rng([c.seed, step, 11])
        m = len(d.molecules)
        items = rng.choice(m, size=c.batch_items, replace=c.batch_items > m)
        per = c.batch_items // self.dist.world
        lo = self.dist.rank * per
        mine = items[lo : lo + per]
        n_near = round(c.batch_points * c.frac_near)
        n_grid = c.batch_points - n_near
        n_occ = round(n_grid * c.frac_occupied)
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        # indices for the whole global batch (identical on every rank), then my share
        if c.rotate:
            return self._rotated_batch(items, lo, per, step)
        n3 = d.grid_y.shape[1]
        uni = torch.randint(0, n3, (c.batch_items, n_grid - n_occ), generator=gen)
        occ_w = d.occupied_voxels[torch.as_tensor(items)].cpu() + 1e-6
        occ = torch.multinomial(occ_w, n_occ, replacement=True, generator=gen)
        near = torch.randint(0, d.near_x.shape[1], (c.batch_items, n_near), generator=gen)
        sl = slice(lo, lo + per)
        idx = torch.as_tensor(mine, device=d.grid_y.device)
        vox = torch.cat([uni[sl], occ[sl]], dim=1).to(d.grid_y.device)
        near = near[sl].to(d.grid_y.device)
        grid_x = self._unit_grid()
        x = torch.cat([grid_x[vox], d.near_x[idx[:, None], near]], dim=1)
        gy = d.grid_y[idx]  # [b, N³, C]
        y = torch.cat([torch.gather(gy, 1, vox[..., None].expand(-1, -1, gy.shape[2])),
                       d.near_y[idx[:, None], near]], dim=1)
        n = self.model.resolution
        grids = gy.transpose(1, 2).reshape(len(mine), -1, n, n, n)
        return grids.to(self.device), x.to(self.device), y.to(self.device)

    def _rotated_batch(self, items: np.ndarray, lo: int, per: int, step: int
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from .datasets import normalised_grids
        from .fields.sample import sample_points

        c, mdl = self.config, self.model
        mols = [self.train_data.molecules[i] for i in items[lo : lo + per]]
        rot = random_rotations(len(items), np.random.default_rng([c.seed, step, 13]))
        inp = field_inputs(mols, mdl.channels, mdl.box_edge, mdl.beta, rot[lo : lo + per])
        grids = normalised_grids(inp, mdl.resolution, mdl.beta)
        n3 = mdl.resolution**3
        n_near = round(c.batch_points * c.frac_near)
        n_grid = c.batch_points - n_near
        n_occ = round(n_grid * c.frac_occupied)
        gx = self._unit_grid().cpu().numpy()
        xs, ys = [], []
        for i, (g, t, b, s) in enumerate(zip(grids, inp.tables, inp.boxes, inp.scales,
                                             strict=True)):
            r = np.random.default_rng([c.seed, step, 17, lo + i])
            flat = g.reshape(g.shape[0], -1).T
            occ = np.flatnonzero(flat.max(axis=1) > OCCUPIED_THRESHOLD)
            vox = np.concatenate([r.integers(0, n3, n_grid - n_occ),
                                  occ[r.integers(0, max(len(occ), 1), n_occ)] if len(occ)
                                  else r.integers(0, n3, n_occ)])
            used = t.used()
            pick = r.integers(0, max(len(used.radius), 1), n_near)
            near = (used.xyz[pick] + r.normal(size=(n_near, 3)) * 0.5 * used.radius[pick, None]
                    if len(used.radius) else r.uniform(-1, 1, (n_near, 3)))
            near_u = np.clip(b.to_unit(near), -1, 1)
            ny = sample_points(t, b.from_unit(near_u), beta=mdl.beta) / s.astype(np.float32)
            xs.append(np.concatenate([gx[vox], near_u]))
            ys.append(np.concatenate([flat[vox], ny]))
        f32 = {"dtype": torch.float32, "device": self.device}
        return (torch.as_tensor(grids, **f32), torch.as_tensor(np.stack(xs), **f32),
                torch.as_tensor(np.stack(ys), **f32))

    def _unit_grid(self) -> torch.Tensor:
        if not hasattr(self, "_grid"):
            from .nn.pools import unit_grid

            self._grid = torch.as_tensor(unit_grid(self.model.resolution), dtype=torch.float32,
                                         device=self.train_data.grid_y.device
                                         if self.train_data.grid_y.numel() else self.device)
        return self._grid

    # ---------------------------------------------------------------------- loop

    def _lr_factor(self, frac: float) -> float:
        f = min(max(frac, 0.0), 1.0)
        lo = self.config.lr_final
        return lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * f))

    def _stop_all(self, stop: bool) -> bool:
        if self.dist.world == 1:
            return stop
        import torch.distributed as dist

        flag = torch.tensor([1.0 if stop else 0.0], device=self.device)
        dist.broadcast(flag, 0)
        return bool(flag.item())

    def __iter__(self) -> Iterator[Progress]:
        c = self.config
        torch.manual_seed(c.seed + 1 + self.step)
        t0 = time.perf_counter() - self.elapsed0
        base = [c.lr_encoder, c.lr]
        self.model.net.train()
        while True:
            elapsed = time.perf_counter() - t0
            done_steps = c.steps is not None and self.step >= c.steps
            done_time = c.time_budget is not None and elapsed >= c.time_budget
            if self._stop_all(done_steps or done_time):
                break
            fr = [self.step / c.steps if c.steps else 0.0,
                  elapsed / c.time_budget if c.time_budget else 0.0]
            factor = self._lr_factor(max(fr))
            for g, lr in zip(self.optimizer.param_groups, base, strict=True):
                g["lr"] = lr * factor
            grids, x, y = self._batch(self.step)
            pred, z = self.net(grids, x)
            loss = torch.mean((pred - y) ** 2)
            if c.latent_l2:
                loss = loss + c.latent_l2 * torch.mean(z**2)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
            value = float(loss.detach())
            if self.dist.world > 1:
                import torch.distributed as dist

                t = torch.tensor([value], device=self.device)
                dist.all_reduce(t)
                value = float(t.item()) / self.dist.world
            elapsed = time.perf_counter() - t0
            self.model.meta.update({"step": self.step, "elapsed": elapsed})
            prog = Progress(self.step, value, elapsed, base[1] * factor)
            last = (c.steps is not None and self.step >= c.steps)
            if self.dist.is_main and (self.step % c.eval_every == 0 or last):
                prog.train_psnr = self.evaluate("train", c.eval_items)["psnr"]
                if self.parts["val"]:
                    ev = self.evaluate("val", c.eval_items)
                    prog.val_psnr, prog.val_psnr_occupied = ev["psnr"], ev["psnr_occupied"]
                self.history.append({k: v for k, v in asdict(prog).items() if v is not None})
                self.model.meta["history"] = self.history
                self.model.net.train()
            yield prog

    def evaluate(self, part: str, limit: int | None = None) -> dict[str, Any]:
        """PSNR (dB) of the first ``limit`` molecules of a split at the training grid."""
        from .encode import evaluate_molecules

        mols = self.parts[part][:limit] if limit else self.parts[part]
        return evaluate_molecules(self.model, mols)

    def finish(self, parts: Sequence[str] = ("val", "test")) -> dict[str, Any]:
        """Rank 0: encode the whole dataset into ``model.dataset_latents`` and store the
        full-split PSNRs in ``model.meta['evaluation']`` (returned)."""
        if not self.dist.is_main:
            return {}
        from .encode import encode_molecules

        self.model.net.eval()
        self.model.dataset_latents = encode_molecules(self.model, self.dataset.molecules)
        out = {}
        for part in parts:
            if self.parts.get(part):
                ev = self.evaluate(part)
                out[part] = {"psnr": ev["psnr"], "psnr_occupied": ev["psnr_occupied"],
                             "n": len(ev["names"]),
                             "per_molecule": {k: [round(float(x), 3) for x in v]
                                              for k, v in ev["per_molecule"].items()}}
        self.model.meta["evaluation"] = out
        self.model.net.train()
        return out

    def close(self) -> None:
        """Leave the process group (under ``torchrun``)."""
        if self.dist.world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.barrier()
                dist.destroy_process_group()

    def save(self, path: str | os.PathLike[str], with_optimizer: bool = True) -> Path | None:
        """Write the checkpoint (rank 0 only; other ranks return ``None``)."""
        if not self.dist.is_main:
            return None
        return self.model.save(path, optimizer=self.optimizer if with_optimizer else None)


def train(
    data: str | os.PathLike[str] | Dataset | Sequence[Molecule],
    *,
    channels: Any = None,
    resolution: int = 32,
    box_edge: float = 20.0,
    preset: str = "cpu",
    latent_dim: int | None = None,
    model_overrides: dict[str, Any] | None = None,
    encoder_overrides: dict[str, Any] | None = None,
    resume: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    conformer_seed: int = 0,
    **overrides: Any,
) -> TrainRun:
    """Set up an auto-encoder training; iterate the result to train.

    Parameters
    ----------
    data
        A dataset file (FreeSolv ``database.txt``, SDF, SMILES, CSV), a :class:`Dataset`
        or molecules.
    channels
        Channel names (default ``H, C, N, O, F, P, S, Cl, other``).
    resolution
        Training grid ``N`` (the encoder's input, PSNR's grid).
    box_edge
        Edge of the box shared by all molecules, Å.
    preset
        ``tiny``, ``cpu`` or ``gpu`` (network sizes; see :func:`ae_configs`).
    latent_dim
        Latent length (default from the preset).
    model_overrides, encoder_overrides
        Fields of `ModelConfig` / `EncoderConfig` to change.
    resume
        A checkpoint to continue from: its networks, optimiser state, step, split and
        settings are used (the training settings in ``overrides`` replace its own).
    cache_dir
        Conformer cache directory.
    conformer_seed
        Seed of the RDKit embedding.
    **overrides
        Fields of :class:`TrainConfig` (``steps``, ``time_budget``, ``seed``, ``device``…).

    Raises
    ------
    MolfieldError
        For bad settings, an empty split, or a resumed model with other channels.
    """
    from .encode import load_autoencoder
    from .fields.channels import ChannelSpec
    from .fields.sample import DEFAULT_BETA

    dist = init_distributed(str(overrides.get("device", "auto")))
    resume_state = None
    if resume is not None:
        model, resume_state = load_autoencoder(resume, with_state=True)
        asked = ChannelSpec.parse(channels).names if channels is not None else model.channels
        if tuple(asked) != tuple(model.channels):
            raise MolfieldError(
                f"{Path(resume).name} was trained with channels {', '.join(model.channels)}, "
                f"not {', '.join(asked)}."
            )
        config = TrainConfig.from_dict({**model.meta.get("train", {}), **overrides})
        box_edge, resolution = model.box_edge, model.resolution
    else:
        config = TrainConfig(**overrides)
        spec = ChannelSpec.parse(channels)
        torch.manual_seed(config.seed)
        enc, dec = ae_configs(preset, len(spec), latent_dim, resolution)
        enc = replace(enc, **(encoder_overrides or {}))
        dec = replace(dec, **(model_overrides or {}))
        model = AEModel(AutoEncoder(enc, dec), spec.names, resolution, float(box_edge),
                        DEFAULT_BETA, conformer_seed)
    device = _rank_device(config.device, dist)
    if device.type == "cpu" and dist.world > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // dist.world))
    model.net.to(device)
    if resume_state:
        resume_state = {k: v.to(device) for k, v in resume_state.items()}
    ds = _load_ranked(data, model, cache_dir, dist)
    if "split" in model.meta:
        s = model.meta["split"]
        split = {k: [n for n in s[k] if n in set(ds.names)] for k in ("train", "val", "test")}
    else:
        split = make_split(ds.names, config.seed)
    return TrainRun(model, ds, split, config, dist, resume_state)


def _load_ranked(data: Any, model: AEModel, cache_dir: Any, dist: DistInfo) -> Dataset:
    """Rank 0 fills the conformer cache first, then the other ranks read it."""
    if dist.world == 1:
        return _as_molecules(data, list(model.channels), model.box_edge, model.conformer_seed,
                             cache_dir)
    import torch.distributed as dist_

    ds = None
    if dist.is_main:
        ds = _as_molecules(data, list(model.channels), model.box_edge, model.conformer_seed,
                           cache_dir)
    dist_.barrier()
    if ds is None:
        ds = _as_molecules(data, list(model.channels), model.box_edge, model.conformer_seed,
                           cache_dir)
    return ds


def _load_optimizer(opt: torch.optim.Optimizer, state: dict[str, torch.Tensor]) -> None:
    """Restore Adam moments saved by :func:`optimizer_tensors`."""
    params = [p for g in opt.param_groups for p in g["params"]]
    for i, p in enumerate(params):
        if f"optim.{i}.exp_avg" not in state:
            continue
        opt.state[p] = {
            "step": state[f"optim.{i}.step"].to("cpu").reshape(()),
            "exp_avg": state[f"optim.{i}.exp_avg"].to(p.device),
            "exp_avg_sq": state[f"optim.{i}.exp_avg_sq"].to(p.device),
        }


def optimizer_tensors(opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Adam moments as flat named tensors (for safetensors)."""
    out = {}
    params = [p for g in opt.param_groups for p in g["params"]]
    for i, p in enumerate(params):
        st = opt.state.get(p)
        if not st:
            continue
        out[f"optim.{i}.step"] = torch.as_tensor(st["step"], dtype=torch.float32).reshape(1)
        out[f"optim.{i}.exp_avg"] = st["exp_avg"].detach()
        out[f"optim.{i}.exp_avg_sq"] = st["exp_avg_sq"].detach()
    return out


__all__ = [
    "AEModel",
    "DistInfo",
    "Progress",
    "TrainConfig",
    "TrainRun",
    "ae_configs",
    "init_distributed",
    "train",
]
