"""``molfield atoms``: molecules out of field files, interpolation frames and checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.cli import main

DATA = Path(__file__).resolve().parent / "data"
CAFFEINE = DATA / "freesolv_mobley_7378987.sdf"


def test_atoms_from_an_exact_field_file_round_trip(tmp_path, capsys):
    from rdkit import Chem

    field = tmp_path / "caffeine.npz"
    assert main(["sample", str(CAFFEINE), "-n", "48", "-o", str(field)]) == 0
    out = tmp_path / "back.sdf"
    assert main(["atoms", str(field), "-o", str(out)]) == 0
    assert "C8H10N4O2" in capsys.readouterr().out
    mol = Chem.MolFromMolFile(str(out), removeHs=False)
    ref = Chem.MolFromMolFile(str(CAFFEINE), removeHs=False)
    assert Chem.MolToSmiles(mol) == Chem.MolToSmiles(ref)


def test_every_interpolation_frame_becomes_a_model(tmp_path):
    from napari_molfield.chem.readers import read_molecules
    from napari_molfield.fields.sample import sample_field

    f = sample_field(read_molecules(CAFFEINE)[0], 40, "H,C,N,O")
    values = f.values / f.values.reshape(len(f.channels), -1).max(axis=1)[:, None, None, None]
    frames = tmp_path / "frames.npz"  # as `molfield interpolate` writes: normalised values
    np.savez(frames, values=np.stack([values, values]), t=np.array([0.0, 1.0]),
             origin=np.stack([f.origin, f.origin + 1.0]), spacing=np.array([f.spacing] * 2),
             channels=np.array(f.channels))
    out = tmp_path / "frames.pdb"
    assert main(["atoms", str(frames), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.count("MODEL") == 2 and text.count("ENDMDL") == 2
    models = [blk for blk in text.split("ENDMDL") if "HETATM" in blk or "ATOM" in blk]
    xs = [np.mean([float(line[30:38]) for line in blk.splitlines()
                   if line.startswith(("ATOM", "HETATM"))]) for blk in models]
    assert xs[1] - xs[0] == pytest.approx(1.0, abs=0.01)  # the second frame is moved by 1 Å


def test_atoms_from_a_fitted_checkpoint(tmp_path, capsys):
    ckpt = tmp_path / "m.safetensors"
    assert main(["fit", "CCO", "--preset", "tiny", "--steps", "30", "-n", "12", "--model",
                 "siren", "--device", "cpu", "-o", str(ckpt)]) == 0
    out = tmp_path / "m.xyz"
    assert main(["atoms", str(ckpt), "-n", "24", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert int(lines[0]) > 0 and len(lines) == int(lines[0]) + 2


def test_bad_inputs_write_nothing(tmp_path, capsys):
    field = tmp_path / "props.npz"
    assert main(["sample", str(CAFFEINE), "--channels", "electronegativity", "-n", "24",
                 "-o", str(field)]) == 0
    out = tmp_path / "x.sdf"
    assert main(["atoms", str(field), "-o", str(out)]) == 2
    assert "element" in capsys.readouterr().err and not out.exists()
    assert main(["atoms", "default", "-o", str(out)]) == 2
    assert "--smiles" in capsys.readouterr().err and not out.exists()
