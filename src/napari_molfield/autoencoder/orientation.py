"""How much an auto-encoder's output depends on the orientation of its input.

Each molecule is encoded in several random orientations (rotated about its centre and
moved); every decoded field is compared with Eq. 1 in that orientation's own frame (the
user's), and the latents of one molecule's orientations are compared with the latents of
different molecules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..chem.molecule import Molecule
from .encode import encode_molecules, molecules_from
from .inputs import random_rotations
from .model import AEModel
from .placement import evaluate_placed


def turned(mol: Molecule, rotation: np.ndarray, shift: np.ndarray) -> Molecule:
    """First conformer of ``mol`` rotated about its centre by ``rotation`` and moved by
    ``shift`` (Å)."""
    x = mol.coords[0]
    c = x.mean(axis=0)
    return Molecule(list(mol.elements), (x - c) @ np.asarray(rotation).T + c + shift,
                    name=mol.name, smiles=mol.smiles, properties=dict(mol.properties))


def orientation_study(model: AEModel, molecules: Sequence[Molecule | str], n: int = 8,
                      seed: int = 0) -> dict[str, Any]:
    """Encode each molecule in ``n`` random orientations and measure in the user's frame.

    Returns
    -------
    dict
        ``names``; ``psnr``, ``psnr_occupied``, ``psnr_zero``, ``psnr_zero_occupied``:
        ``[M, n]`` arrays (dB, on peak-normalised fields at the model's grid);
        ``spread``: ``[M]`` max − min of the occupied-channel PSNR over orientations;
        ``drift_ratio``: mean distance between latents of one molecule's orientations
        divided by the mean distance between the mean latents of different molecules;
        ``latents``: ``[M, n, L]``.
    """
    mols, _ = molecules_from(list(molecules), model)
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {k: [] for k in ("psnr", "psnr_occupied", "psnr_zero",
                                            "psnr_zero_occupied", "latents")}
    for mol in mols:
        views = [turned(mol, r, rng.normal(0, 5, 3)) for r in random_rotations(n, rng)]
        z = encode_molecules(model, views)
        ev = evaluate_placed(model, views, z)
        for k in ("psnr", "psnr_occupied", "psnr_zero", "psnr_zero_occupied"):
            out[k].append(ev["per_molecule"][k])
        out["latents"].append(z)
    res: dict[str, Any] = {k: np.asarray(v) for k, v in out.items()}
    lat = res["latents"]
    within = [np.mean([np.linalg.norm(a - b) for i, a in enumerate(z) for b in z[i + 1:]])
              for z in lat] if n > 1 else [0.0]
    means = lat.mean(axis=1)
    between = [np.linalg.norm(a - b) for i, a in enumerate(means) for b in means[i + 1:]]
    res["names"] = [m.name for m in mols]
    res["spread"] = res["psnr_occupied"].max(axis=1) - res["psnr_occupied"].min(axis=1)
    res["drift_ratio"] = float(np.mean(within) / max(np.mean(between), 1e-12)) \
        if between else float("nan")
    return res


def summary(res: dict[str, Any]) -> dict[str, float]:
    """Means of :func:`orientation_study` over molecules and orientations."""
    return {"psnr": float(res["psnr"].mean()),
            "psnr_occupied": float(res["psnr_occupied"].mean()),
            "psnr_zero": float(res["psnr_zero"].mean()),
            "psnr_zero_occupied": float(res["psnr_zero_occupied"].mean()),
            "spread_max": float(res["spread"].max()),
            "spread_mean": float(res["spread"].mean()),
            "drift_ratio": float(res["drift_ratio"])}


__all__ = ["orientation_study", "summary", "turned"]
