"""Shared helpers for the field tests: an exact all-pairs reference of Eq. 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.chem.molecule import Molecule

DATA = Path(__file__).resolve().parents[1] / "data"


def exact_points(table, points: np.ndarray, beta: float) -> np.ndarray:
    """Eq. 1 at ``points`` ``[P, 3]`` summed over every entry, no cutoff, float64."""
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    out = np.zeros((pts.shape[0], table.n_channels))
    for x, r, c, w in zip(table.xyz, table.radius, table.channel, table.weight, strict=True):
        if c < 0:
            continue
        d2 = ((pts - x) ** 2).sum(axis=1)
        out[:, c] += w * np.exp(-beta * (d2 / r**2 - 1))
    return out


def exact_grid(table, box, n: int, beta: float) -> np.ndarray:
    """``[C, N, N, N]`` exact reference on the grid of ``box``."""
    vals = exact_points(table, box.grid_points(n).reshape(-1, 3), beta)
    return np.moveaxis(vals.reshape(n, n, n, -1), -1, 0)


@pytest.fixture
def random_molecule() -> Molecule:
    """Atoms of several elements, with overlaps, two conformers and a ligand."""
    rng = np.random.default_rng(7)
    elements = rng.choice(["C", "N", "O", "S", "H", "Cl", "Br", "P"], size=40)
    xyz = rng.uniform(-5, 5, (40, 3))
    xyz[1] = xyz[0] + 0.05  # nearly coincident atoms
    xyz[2] = xyz[0]
    coords = np.stack([xyz, xyz + rng.normal(0, 0.7, xyz.shape)])
    lig = np.zeros(40, bool)
    lig[:8] = True
    return Molecule(elements=elements, coords=coords, name="random", ligand_mask=lig)


@pytest.fixture
def data_dir() -> Path:
    return DATA
