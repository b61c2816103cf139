"""Shared fixtures for the atom-recovery tests: real molecules and their exact fields."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import napari_molfield as mf
from napari_molfield.fields.channels import ChannelSpec
from napari_molfield.fields.field import Field
from napari_molfield.fields.sample import channel_peaks

DATA = Path(__file__).resolve().parents[1] / "data"
CAFFEINE = DATA / "freesolv_mobley_7378987.sdf"


def channels_of(molecule) -> list[str]:
    """One element channel per element present, in a fixed order."""
    return sorted({str(e) for e in molecule.elements})


def exact_field(molecule, resolution: int = 48, channels=None) -> Field:
    """Eq. 1 of ``molecule`` (one channel per element) on a ``resolution³`` grid."""
    return mf.sample_field(molecule, resolution, channels or channels_of(molecule))


def normalised(field: Field, molecule, keep_scale: bool = True) -> Field:
    """``field`` divided by `channel_peaks`, with or without the scale in its meta."""
    peaks = channel_peaks(ChannelSpec.parse(list(field.channels)).assign(molecule, 0),
                          field.meta.get("beta", 2.0))
    values = field.values / peaks[:, None, None, None].astype(np.float32)
    meta = {"beta": field.meta.get("beta", 2.0)}
    if keep_scale:
        meta.update(normalised=True, scale=[float(s) for s in peaks])
    return Field(values, field.origin, field.spacing, field.channels, field.box, meta)


def rdkit_from_sdf(path: Path):
    """The molecule of an SDF file with its hydrogens and bonds, as RDKit reads it."""
    from rdkit import Chem

    mol = Chem.MolFromMolFile(str(path), removeHs=False, sanitize=False)
    assert mol is not None
    return mol


@pytest.fixture(scope="session")
def caffeine():
    return mf.read_molecules(CAFFEINE)[0]


@pytest.fixture(scope="session")
def caffeine_field(caffeine) -> Field:
    return exact_field(caffeine, 48)


@pytest.fixture
def data_dir() -> Path:
    return DATA
