"""Shared fixtures of the auto-encoder tests: a small SMILES dataset and its cache."""

from __future__ import annotations

from pathlib import Path

import pytest

SMILES = [
    ("CCO", "ethanol"), ("CC(=O)O", "acetic_acid"), ("c1ccccc1", "benzene"),
    ("CCN", "ethylamine"), ("CC(C)O", "isopropanol"), ("c1ccncc1", "pyridine"),
    ("CCCl", "chloroethane"), ("CS", "methanethiol"), ("FC(F)F", "fluoroform"),
    ("OCCO", "ethylene_glycol"), ("CC#N", "acetonitrile"), ("c1ccoc1", "furan"),
    ("CCOC", "methoxyethane"), ("C1CCCCC1", "cyclohexane"), ("CC(=O)N", "acetamide"),
    ("Oc1ccccc1", "phenol"),
]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A conformer cache private to the test session."""
    return tmp_path_factory.mktemp("conformer-cache")


@pytest.fixture(scope="session")
def smi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 small molecules as a .smi file."""
    path = tmp_path_factory.mktemp("data") / "small.smi"
    path.write_text("".join(f"{s} {n}\n" for s, n in SMILES))
    return path


@pytest.fixture(scope="session")
def small_dataset(smi_file: Path, cache_dir: Path):
    """The 16 molecules with conformers (cached)."""
    from napari_molfield.autoencoder.datasets import load_dataset

    return load_dataset(smi_file, cache_dir=cache_dir)
