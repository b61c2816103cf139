"""Decoded fields back in the user's frame, so that input and output overlay.

A model with a canonical frame encodes every molecule moved into that frame. To show the
decoded field on the user's atoms, the network is evaluated at the user-frame points
mapped into the model's frame (exact: no resampling of a decoded grid); points that map
outside the model's box are zero. For models without a canonical frame this is the
plain box around the molecule.

::

    where = placement(model, molecule)            # frames and boxes of one molecule
    field = decode_placed(model, z, where, 48)    # a Field on the user's box, Eq. 1 units
    ev = evaluate_placed(model, molecules)        # PSNR measured in the user's frame
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.field import Field
from ..fields.metrics import FieldReport, field_report
from ..fields.sample import sample_table
from .frames import Frame
from .inputs import field_inputs
from .model import AEModel


@dataclass(frozen=True)
class Placement:
    """Where one molecule sits for the model and for the user.

    Attributes
    ----------
    frame
        The canonical frame (``None``: the model reads the molecule as it lies).
    model_box
        The box the network's ``[-1, 1]³`` maps to, in the model's frame.
    user_box
        The box of the same edge around the molecule in the user's frame.
    scale, occupied
        ``[C]`` channel peaks (normalisation) and whether atoms feed each channel.
    table
        The molecule's atom table in the user's frame.
    """

    frame: Frame | None
    model_box: Box
    user_box: Box
    scale: np.ndarray
    occupied: np.ndarray
    table: Any

    def to_model_unit(self, points: np.ndarray) -> np.ndarray:
        """User-frame points ``[..., 3]`` (Å) → the network's unit frame."""
        q = self.frame.to_canonical(points) if self.frame is not None else points
        return self.model_box.to_unit(q)


def placement(model: AEModel, molecule: Molecule, conformer: int = 0) -> Placement:
    """The frames and boxes of ``molecule`` (one conformer) for ``model``."""
    kw = {"channels": list(model.channels), "box_edge": model.box_edge, "beta": model.beta,
          "conformers": [conformer]}
    user = field_inputs([molecule], **kw)
    inp = field_inputs([molecule], canonical=True, **kw) if model.canonical else user
    return Placement(inp.frames[0], inp.boxes[0], user.boxes[0], user.scales[0],
                     user.occupied[0], user.tables[0])


def decode_points(model: AEModel, latent: np.ndarray | torch.Tensor, where: Placement,
                  points: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Normalised field ``[P, C]`` at user-frame ``points`` ``[P, 3]`` (Å); zero at points
    outside the model's box."""
    z = torch.as_tensor(np.asarray(latent, dtype=np.float32), device=model.device)
    z = z.reshape(1, -1)
    if z.shape[1] != model.latent_dim:
        raise MolfieldError(f"A latent of length {z.shape[1]}; the model needs "
                            f"{model.latent_dim}.")
    u = where.to_model_unit(np.asarray(points, dtype=np.float64).reshape(-1, 3))
    inside = (np.abs(u) <= 1.0).all(axis=1)
    out = np.zeros((len(u), len(model.channels)), np.float32)
    if inside.any():
        x = torch.as_tensor(u[inside], dtype=torch.float32, device=model.device)
        with torch.no_grad():
            out[inside] = model.net.decode(z, x, chunk=chunk)[0].cpu().numpy()
    return out


def decode_placed(model: AEModel, latent: np.ndarray | torch.Tensor, where: Placement,
                  resolution: int, *, normalised: bool = False, box: Box | None = None
                  ) -> Field:
    """Decode ``latent`` on a ``resolution³`` grid of the user's box (or ``box``).

    Values are in Eq. 1 units (channel peaks of the molecule) unless ``normalised``.
    """
    n = int(resolution)
    box = box or where.user_box
    vals = decode_points(model, latent, where, box.grid_points(n).reshape(-1, 3))
    values = vals.T.reshape(-1, n, n, n)
    if not normalised:
        values = values * where.scale.astype(np.float32)[:, None, None, None]
    meta = {"beta": model.beta, "channels": list(model.channels), "resolution": n,
            "box": box.to_dict(), "normalised": normalised, "source": "autoencoder",
            "frame": "user"}
    return Field(values, box.origin(n), box.spacing(n), model.channels, box, meta)


def evaluate_placed(model: AEModel, molecules: Sequence[Molecule], latents: np.ndarray,
                    resolution: int | None = None) -> dict[str, Any]:
    """PSNR of the decoded ``latents`` against Eq. 1 on each molecule's own box in the
    user's frame (``resolution`` default: the model's grid).

    Returns ``psnr``/``psnr_occupied`` (means, dB), ``per_molecule`` arrays of both, of
    ``psnr_zero``/``psnr_zero_occupied`` (the zero-field baselines: predicting all zeros)
    and ``reports`` (each molecule's `FieldReport`), all on normalised fields; occupied
    channels as in `occupied_channels`.
    """
    n = int(resolution or model.resolution)
    reports = []
    for mol, z in zip(molecules, latents, strict=True):
        where = placement(model, mol)
        truth = sample_table(where.table, where.user_box, n, beta=model.beta)
        truth = truth / where.scale.astype(np.float32)[:, None, None, None]
        pred = decode_placed(model, z, where, n, normalised=True).values
        reports.append(field_report(pred, truth))
    return summarise(reports)


def summarise(reports: Sequence[FieldReport]) -> dict[str, Any]:
    """The evaluation dict of the auto-encoder from one `FieldReport` per molecule:
    ``psnr``/``psnr_occupied`` (`FieldReport.mean`), ``per_molecule`` ``[M]`` arrays
    ``psnr``/``psnr_occupied``/``psnr_zero``/``psnr_zero_occupied`` and the ``reports``."""
    mean = FieldReport.mean(reports) if reports else FieldReport(*[math.nan] * 4)
    per = {key: np.array([r[name] for r in reports], dtype=np.float64)
           for key, name in (("psnr", "psnr"), ("psnr_occupied", "occupied_psnr"),
                             ("psnr_zero", "zero_psnr"),
                             ("psnr_zero_occupied", "zero_occupied_psnr"))}
    return {"psnr": mean.psnr, "psnr_occupied": mean.occupied_psnr, "per_molecule": per,
            "reports": list(reports)}


__all__ = ["Placement", "decode_placed", "decode_points", "evaluate_placed", "placement",
           "summarise"]
