"""A small rigid-body motion (methanol turned and shifted) and a tiny deformable fit of it."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.molecule import Molecule

ELEMENTS = ["C", "O", "H", "H", "H", "H"]
XYZ = np.array([
    [0.000, 0.000, 0.000], [1.410, 0.000, 0.000], [-0.360, 1.030, 0.000],
    [-0.360, -0.510, 0.890], [-0.360, -0.510, -0.890], [1.730, 0.900, 0.000],
])
#: Fit settings small enough for seconds on 2 cores.
TINY = {"channels": "C,O,H", "resolution": 12, "preset": "tiny", "device": "cpu",
        "batch_points": 1024, "atom_points": 64}


def rigid_motion(angle_deg: float = 30.0, shift: float = 4.0) -> np.ndarray:
    """``[2, 6, 3]``: methanol, then turned about z through its centre and shifted along x."""
    a = np.radians(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    c = XYZ.mean(0)
    moved = (XYZ - c) @ rot.T + c + np.array([shift, 0.0, 0.0])
    return np.stack([XYZ, moved])


@pytest.fixture(scope="session")
def moving() -> Molecule:
    """Methanol with two conformers related by a rigid motion."""
    return Molecule(ELEMENTS, rigid_motion(), name="methanol", source="test",
                    atom_names=["C1", "O1", "H1", "H2", "H3", "HO"],
                    residue_names=["MOH"] * 6, residue_numbers=[1] * 6, chains=["A"] * 6)


@pytest.fixture(scope="session")
def moving_model(moving):
    """A tiny deformable fit of `moving`."""
    from napari_molfield.deform.fit import fit_deform_model

    return fit_deform_model(moving, steps=120, seed=0, **TINY)
