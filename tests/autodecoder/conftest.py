"""Shared fixtures of the neural-field tests: a small molecule and a tiny fitted model."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.molecule import Molecule


def exact_field(xyz, radius, channel, weight, n_channels, beta, points):
    """All-pairs numpy Eq. 1 (reference for the tests only)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    d2 = ((pts[:, None, :] - xyz[None]) ** 2).sum(-1)
    g = weight[None] * np.exp(-beta * (d2 / radius[None] ** 2 - 1))
    out = np.zeros((pts.shape[0], n_channels))
    for c in range(n_channels):
        out[:, c] = g[:, channel == c].sum(1)
    return out


@pytest.fixture(scope="session")
def water_methanol() -> Molecule:
    """Methanol (6 atoms) — small enough to fit in a second."""
    elements = ["C", "O", "H", "H", "H", "H"]
    xyz = np.array([
        [0.000, 0.000, 0.000], [1.410, 0.000, 0.000], [-0.360, 1.030, 0.000],
        [-0.360, -0.510, 0.890], [-0.360, -0.510, -0.890], [1.730, 0.900, 0.000],
    ])
    return Molecule(elements, xyz, name="methanol", source="test")


@pytest.fixture(scope="session")
def tiny_model(water_methanol):
    """A tiny fitted model (C, O, H channels at 16³)."""
    from napari_molfield.autodecoder.fit import fit_model

    return fit_model(water_methanol, channels="C,O,H", resolution=16, preset="tiny",
                     steps=300, seed=0, device="cpu")
