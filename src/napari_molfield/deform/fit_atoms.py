"""The ``"atoms"`` decoder's training task: every conformer's atoms from its latent.

The ensemble's conformers hold the same atoms in the same order, so the decoder learns
them directly: the loss is the mean squared distance (Å²) between the decoded and the
input atoms of every conformer. The latents start at the conformers' principal-component
scores (`AtomDecoder.start_from`), so the landscape's first axes begin as the ensemble's
largest motions. The reported PSNR is the field's: Eq. 1 of the decoded atoms against
Eq. 1 of the inputs on the train grid, as for every model kind.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch

from ..fields.metrics import psnr_from_mse
from ..nn.atom_decoder import AtomDecoder
from ..nn.loop import StepLoss, Task, adam
from .config import DeformConfig, DeformFitConfig
from .model import DeformModel

#: Conformers per step (all of them when there are no more).
ATOM_BATCH = 256


def atoms_network(config: DeformConfig) -> AtomDecoder:
    """The `AtomDecoder` of ``config`` (``decoder="atoms"``, ``n_atoms`` set)."""
    return AtomDecoder(config.latent_dim, config.n_atoms, config.atom_width)


def atoms_task(model: DeformModel, fcfg: DeformFitConfig, eval_ids: list[int],
               gen: torch.Generator) -> tuple[Task, torch.optim.Optimizer]:
    """The loss, evaluation and optimiser of ``model`` (its `AtomDecoder` and latents are
    set to the conformers' principal components first)."""
    net = model.network
    assert isinstance(net, AtomDecoder)
    dev = model.device
    box = model.region
    target = torch.as_tensor(box.to_unit(model.coords), dtype=torch.float32, device=dev)
    with torch.no_grad():
        model.latents.copy_(net.start_from(target))
    half2 = (box.edge / 2) ** 2
    k = target.shape[0]

    def loss() -> StepLoss:
        ids = (torch.randperm(k, generator=gen)[:ATOM_BATCH].to(dev) if k > ATOM_BATCH
               else slice(None))
        err = torch.mean(torch.sum((net(model.latents[ids]) - target[ids]) ** 2, -1)) * half2
        value = float(err.detach())
        return StepLoss(err, value, {"atom_rmsd": math.sqrt(max(value, 0.0))})

    truths = {i: _values(model, i, model.coords[i]) for i in eval_ids}

    def evaluate() -> float:
        with torch.no_grad():
            xyz = net(model.latents[eval_ids].detach()).double().cpu().numpy()
        err = [np.mean((_values(model, i, box.from_unit(x)) - truths[i]) ** 2)
               for i, x in zip(eval_ids, xyz, strict=True)]
        return psnr_from_mse(float(np.mean(err)))

    opt = adam([{"params": list(net.parameters()), "lr": fcfg.lr_warp},
                {"params": [model.latents], "lr": fcfg.lr_latent}])
    task = Task(model, net, model.latents, loss=loss, evaluate=evaluate,
                history=model.history, what="deformable fit")
    return task, opt


def with_atom_count(config: DeformConfig, n_atoms: int) -> DeformConfig:
    """``config`` with its `AtomDecoder` sized for ``n_atoms`` atoms."""
    return replace(config, n_atoms=int(n_atoms))


def _values(model: DeformModel, item: int, coords: np.ndarray) -> np.ndarray:
    """Normalised Eq. 1 of atoms ``coords`` on the train grid of the model's box."""
    from .decode import truth_field

    return truth_field(model, item, model.train_resolution, coords=coords).values


__all__ = ["ATOM_BATCH", "atoms_network", "atoms_task", "with_atom_count"]
