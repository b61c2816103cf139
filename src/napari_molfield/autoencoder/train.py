"""Train the field auto-encoder (3D conv encoder + modulated SIREN) as a plain generator.

``run = train(...)``; iterating ``run`` yields one :class:`Progress` per optimiser step
and can stop at any step; ``run.model`` is the current `AEModel` and ``run.save(path)``
writes a resumable checkpoint. The same code runs under ``torchrun --nproc-per-node K``
(`distributed`): every rank takes its share of each global batch of molecules,
`DistributedDataParallel` averages the gradients, and only rank 0 evaluates, saves and
reports. Batches come from `batches.BatchSampler` (each molecule conformer computed once,
`batches.ItemCache`). On the CPU, torch and numba get the same thread count
(``TrainConfig.threads``): numba's OpenMP layer would otherwise reset torch's (they share
one runtime), and denormals are flushed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.channels import ChannelSpec
from ..fields.sample import DEFAULT_BETA
from ..nn.atom_slots import SlotConfig
from ..nn.device import cpu_threads
from ..nn.schedule import cosine_factor
from .batches import BatchSampler, batch_mode, precompute
from .checkpoint import load_autoencoder, load_optimizer_state, save_autoencoder
from .config import SLOT_PRESETS, TrainConfig, ae_configs, slot_configs
from .datasets import Dataset, make_split
from .distributed import DistInfo, init_distributed, load_ranked, rank_device
from .encode import encode_molecules, evaluate_molecules
from .frames import FRAME_RECIPE
from .model import AEModel, AutoEncoder
from .slot_targets import slot_loss


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
        self.train_data = precompute(self.parts["train"], model, config.pool_near,
                                      config.seed, self.device,
                                      grids=batch_mode(config, self.parts["train"]) == "static")
        self.batches = BatchSampler(model, self.train_data, config, dist, self.device)
        cfg = model.net.decoder_config
        self.slots = cfg if isinstance(cfg, SlotConfig) else None
        if self.slots is not None and self.batches.mode != "cached":
            raise MolfieldError("An atom-slot auto-encoder trains from cached items: keep "
                                "batch_cache on and rotate off.")
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
        self.cpu0 = float(model.meta.get("cpu_elapsed", 0.0))
        if resume_state:
            load_optimizer_state(self.optimizer, resume_state)
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

    # ---------------------------------------------------------------------- loop

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
        c0 = time.process_time() - self.cpu0
        cpu_clock = c.budget_clock == "cpu"
        base = [c.lr_encoder, c.lr]
        self.model.net.train()
        while True:
            used = time.process_time() - c0 if cpu_clock else time.perf_counter() - t0
            done_steps = c.steps is not None and self.step >= c.steps
            done_time = c.time_budget is not None and used >= c.time_budget
            if self._stop_all(done_steps or done_time):
                break
            fr = [self.step / c.steps if c.steps else 0.0,
                  used / c.time_budget if c.time_budget else 0.0]
            factor = cosine_factor(max(fr), c.lr_final)
            for g, lr in zip(self.optimizer.param_groups, base, strict=True):
                g["lr"] = lr * factor
            grids, x, y = self.batches(self.step)
            pred, z = self.net(grids, x)
            loss = torch.mean((pred - y) ** 2)
            if self.slots is not None:  # the set loss teaches the encoder to fill slots
                loss = self.slots.field_weight * loss + slot_loss(
                    self.model.net.siren.modulations(z), self.batches.atoms, self.slots).total
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
            self.model.meta.update({"step": self.step, "elapsed": elapsed,
                                    "cpu_elapsed": time.process_time() - c0})
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
        mols = self.parts[part][:limit] if limit else self.parts[part]
        return evaluate_molecules(self.model, mols)

    def finish(self, parts: Sequence[str] = ("val", "test")) -> dict[str, Any]:
        """Rank 0: encode the whole dataset into ``model.dataset_latents`` and store the
        full-split PSNRs in ``model.meta['evaluation']`` (returned)."""
        if not self.dist.is_main:
            return {}
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
        return save_autoencoder(self.model, path,
                                optimizer=self.optimizer if with_optimizer else None)


def set_cpu_threads(n: int) -> None:
    """Run torch and numba with ``n`` threads each and flush denormals.

    Both use the same OpenMP runtime, so a numba kernel run with its own (default: every
    core) count would change torch's as well.
    """
    import numba

    torch.set_num_threads(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    torch.set_flush_denormal(True)


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
    canonical: bool = False,
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
    canonical
        Encode every molecule in its canonical frame (`frames`), so that encodings do
        not depend on the input's orientation (a resumed model keeps its own choice).
    **overrides
        Fields of :class:`TrainConfig` (``steps``, ``time_budget``, ``seed``, ``device``…).

    Raises
    ------
    MolfieldError
        For bad settings, an empty split, or a resumed model with other channels.
    """
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
        if preset in SLOT_PRESETS:
            enc, dec = slot_configs(preset, spec.names, box_edge, DEFAULT_BETA, resolution)
        else:
            enc, dec = ae_configs(preset, len(spec), latent_dim, resolution)
        enc = replace(enc, **(encoder_overrides or {}))
        dec = replace(dec, **(model_overrides or {}))
        model = AEModel(AutoEncoder(enc, dec), spec.names, resolution, float(box_edge),
                        DEFAULT_BETA, conformer_seed,
                        frame=FRAME_RECIPE if canonical else None)
    device = rank_device(config.device, dist)
    if device.type == "cpu":
        set_cpu_threads(config.threads or max(1, cpu_threads() // dist.world))
    model.net.to(device)
    if resume_state:
        resume_state = {k: v.to(device) for k, v in resume_state.items()}
    ds = load_ranked(data, model, cache_dir, dist)
    if "split" in model.meta:
        s = model.meta["split"]
        split = {k: [n for n in s[k] if n in set(ds.names)] for k in ("train", "val", "test")}
    else:
        split = make_split(ds.names, config.seed)
    return TrainRun(model, ds, split, config, dist, resume_state)


__all__ = ["Progress", "TrainRun", "set_cpu_threads", "train"]
