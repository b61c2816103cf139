"""The one multi-model PDB writer (`chem.pdb_models`): layout, round trip, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.pdb_models import atom_records, models_text, pdb_models_text
from napari_molfield.chem.readers import read_molecules
from napari_molfield.errors import MolfieldError

ATOMS = {"elements": ["C", "O", "Cl"], "atom_names": ["C1", "O1", "CL1"],
         "residue_names": ["LIG"] * 3, "residue_numbers": [1] * 3, "chains": ["A"] * 3,
         "hetero": [True] * 3}


def test_frames_read_back_as_conformers(tmp_path):
    rng = np.random.default_rng(0)
    frames = rng.normal(scale=5.0, size=(4, 3, 3))
    text = pdb_models_text(ATOMS, frames, [f"frame {k}" for k in range(4)])
    lines = text.splitlines()
    assert lines[0] == "REMARK   1 frame 0" and lines[1] == "MODEL        1"
    assert lines[-2:] == ["ENDMDL", "END"] and text.count("ENDMDL") == 4
    assert max(len(line) for line in lines) <= 80
    path = tmp_path / "f.pdb"
    path.write_text(text)
    mol = read_molecules(path)[0]
    assert mol.n_conformers == 4 and list(mol.elements) == ["C", "O", "Cl"]
    assert np.abs(mol.coords - frames).max() < 1.5e-3  # three decimals


def test_blocks_lose_their_own_frame_records():
    block = "HETATM    1  C1  LIG A   1       0.000   0.000   0.000  1.00  0.00           C\n"
    text = models_text([f"MODEL 7\n{block}CONECT    1\nEND\n", block + "ENDMDL\n"])
    assert text.count("MODEL") == 2 and text.count("\nEND\n") == 1 and "MODEL 7" not in text
    assert text.splitlines()[:4] == ["MODEL        1", block.rstrip(), "CONECT    1",
                                     "ENDMDL"]


def test_bad_frames_are_one_sentence():
    with pytest.raises(MolfieldError, match="do not match 3 atoms"):
        pdb_models_text(ATOMS, np.zeros((2, 4, 3)))
    with pytest.raises(MolfieldError, match="do not fit a PDB file"):
        atom_records(ATOMS, np.full((3, 3), 1e4))
    with pytest.raises(MolfieldError, match="do not fit a PDB file"):
        pdb_models_text(ATOMS, np.full((3, 3), np.nan))
    with pytest.raises(MolfieldError, match="at least one model"):
        models_text([])
    with pytest.raises(MolfieldError, match="1 titles for 2 models"):
        models_text(["", ""], ["a"])
