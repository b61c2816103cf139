"""``molfield fit`` picks the deformable model for files of the same atoms;
``interpolate`` and ``decode`` take it as one more model kind."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.pdb_models import pdb_models_text
from napari_molfield.chem.readers import read_molecules
from napari_molfield.cli import main
from napari_molfield.nn.checkpoint import AUTODECODER, DEFORMABLE, checkpoint_format

from .conftest import ELEMENTS, rigid_motion

ATOMS = {"elements": ELEMENTS, "atom_names": ["C1", "O1", "H1", "H2", "H3", "HO"],
         "residue_names": ["MOH"] * 6, "residue_numbers": [1] * 6, "chains": ["A"] * 6,
         "hetero": [True] * 6}
FAST = ["--channels", "C,O,H", "--preset", "tiny", "--steps", "40", "-n", "10"]


@pytest.fixture()
def states(tmp_path):
    """Two PDB files of the same atoms (a rigid motion)."""
    xyz = rigid_motion()
    paths = [tmp_path / "a.pdb", tmp_path / "b.pdb"]
    for p, x in zip(paths, xyz, strict=True):
        p.write_text(pdb_models_text(ATOMS, x))
    return paths


def test_fit_two_same_atom_files_picks_deform_then_interpolates_atoms(states, tmp_path,
                                                                       capsys):
    model = tmp_path / "m.safetensors"
    assert main(["fit", *map(str, states), *FAST, "-o", str(model)]) == 0
    assert checkpoint_format(model) == DEFORMABLE
    text = capsys.readouterr().out
    assert "deformable, 2 conformers" in text and "zero field" in text
    frames, atoms = tmp_path / "frames.npz", tmp_path / "frames.pdb"
    assert main(["interpolate", str(model), "--from", "0", "--to", "1", "--frames", "3",
                 "-n", "10", "-o", str(frames), "--atoms", str(atoms)]) == 0
    z = np.load(frames)
    assert z["values"].shape == (3, 3, 10, 10, 10) and np.isfinite(z["values"]).all()
    back = read_molecules(atoms)[0]
    assert back.n_conformers == 3
    assert np.abs(back.coords[[0, -1]] - rigid_motion()).max() < 1.5e-3
    only = tmp_path / "only.pdb"
    assert main(["interpolate", str(model), "--from", "1", "--to", "0", "--frames", "4",
                 "-n", "8", "-o", str(only)]) == 0
    assert read_molecules(only)[0].n_conformers == 4
    out = tmp_path / "d.npz"
    assert main(["decode", str(model), "--item", "1", "-n", "10", "--truth", str(states[1]),
                 "-o", str(out)]) == 0
    assert "PSNR" in capsys.readouterr().out and np.load(out)["values"].shape == (3, 10, 10, 10)


def test_model_siren_keeps_the_auto_decoder(states, tmp_path):
    model = tmp_path / "s.safetensors"
    assert main(["fit", *map(str, states), *FAST, "--model", "siren", "-o", str(model)]) == 0
    assert checkpoint_format(model) == AUTODECODER
    with_atoms = tmp_path / "x.pdb"
    assert main(["interpolate", str(model), "--from", "0", "--to", "1", "--frames", "2",
                 "-n", "8", "-o", str(with_atoms)]) == 2
    assert not with_atoms.exists()


@pytest.mark.parametrize("second, message", [
    ("CCO", "do not hold the same atoms"),
    (None, "at least two conformers"),
])
def test_deform_with_bad_inputs_is_one_line(states, tmp_path, capsys, second, message):
    out = tmp_path / "x.safetensors"
    inputs = [str(states[0])] + ([second] if second else [])
    assert main(["fit", *inputs, *FAST, "--model", "deform", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("molfield: error:") and message in err[0]
    assert not out.exists()


def test_fit_holdout_from_the_command_line(tmp_path, capsys):
    """``--holdout K``: a multi-model PDB of 5 frames, every 2nd held out (frames 1, 3);
    refused with one sentence for inputs that are not conformers of the same atoms."""
    frames = np.stack([rigid_motion(0.0, s)[1] for s in np.linspace(0, 4, 5)])
    traj = tmp_path / "slide.pdb"
    traj.write_text(pdb_models_text(ATOMS, frames))
    model = tmp_path / "held.safetensors"
    assert main(["fit", str(traj), *FAST, "--holdout", "2", "-o", str(model)]) == 0
    assert "2 held-out frame(s)" in capsys.readouterr().out
    from napari_molfield import models

    assert models.held_out(models.load(model)) == [1, 3]
    single = tmp_path / "one.pdb"
    single.write_text(pdb_models_text(ATOMS, frames[0]))
    assert main(["fit", str(single), *FAST, "--holdout", "2", "-o", str(model)]) == 2
    assert "--holdout needs a deformable fit" in capsys.readouterr().err
