"""The ``molfield`` command line: outputs, PSNR lines and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from napari_molfield.cli import main

DATA = Path(__file__).parent / "data"
SDF = DATA / "freesolv_mobley_7378987.sdf"


def test_sample_npz_holds_field_and_exact_atom_inputs(tmp_path, capsys):
    out = tmp_path / "caffeine.npz"
    assert main(["sample", str(SDF), "-n", "24", "--channels", "H,C,N,O", "-o", str(out)]) == 0
    assert "24³" in capsys.readouterr().out
    z = np.load(out)
    assert z["values"].shape == (4, 24, 24, 24)
    assert list(z["channels"]) == ["H", "C", "N", "O"]
    assert z["atom_xyz"].shape == (24, 3) and z["atom_channel"].shape == (24,)
    assert set(z["atom_channel"].tolist()) == {0, 1, 2, 3}
    assert float(z["beta"]) > 0 and float(z["spacing"]) > 0


def test_sample_mrc_from_smiles(tmp_path):
    import gemmi

    out = tmp_path / "ethanol.mrc"
    assert main(["sample", "CCO", "--channels", "all", "-n", "16", "-o", str(out)]) == 0
    m = gemmi.read_ccp4_map(str(out))
    assert (m.grid.nu, m.grid.nv, m.grid.nw) == (16, 16, 16)


@pytest.mark.parametrize(
    "args, message",
    [
        (["sample", "missing.pdb", "-o", "x.npz"], "missing.pdb"),
        (["sample", "C1CC", "-o", "x.npz"], "SMILES"),
        (["sample", str(SDF), "--channels", "Qq", "-o", "x.npz"], "Qq"),
        (["sample", str(SDF), "-n", "100000", "-o", "x.npz"], "resolution"),
        (["decode", "nothing.safetensors", "-o", "x.npz"], "nothing.safetensors"),
        (["fit", "CCO", "--device", "gpu", "--steps", "2", "-o", "x.npz"], "gpu"),
    ],
)
def test_user_errors_are_one_line_exit_2_no_output(tmp_path, args, message):
    args = [a.replace("x.npz", str(tmp_path / "x.npz")) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "napari_molfield.cli", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("molfield: error:"), proc.stderr
    assert message.lower() in lines[0].lower()
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.npz").exists()


#: dB over the zero field. Measured (C,O at 24³): 60 steps 41.86 dB, zero field 24.24 dB
#: (+17.6); one step (untrained) 25.48 dB (+1.2).
CLI_FIT_MARGIN = 10.0


def test_fit_then_decode_prints_psnr(tmp_path, capsys):
    from napari_molfield.autodecoder.checkpoint import load_model
    from napari_molfield.autodecoder.decode import truth_field
    from napari_molfield.fields.metrics import psnr

    from ._quality import assert_beats_zero

    model = tmp_path / "ethanol.safetensors"
    rc = main(["fit", "CCO", "--channels", "C,O", "--preset", "tiny", "--steps", "60",
               "-n", "12", "--seed", "0", "-o", str(model)])
    assert rc == 0 and model.exists()
    assert "PSNR" in capsys.readouterr().out
    out = tmp_path / "ethanol-24.npz"
    assert main(["decode", str(model), "-n", "24", "--truth", "CCO", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    printed = float(text.split("PSNR")[1].split("dB")[0])
    values = np.load(out)["values"]
    assert values.shape == (2, 24, 24, 24)
    # the printed figure is the decoded file against Eq. 1 of the model's atoms, and it
    # clears the zero field by a margin an untrained network does not
    truth = truth_field(load_model(model), 0, 24).values
    measured = psnr(values, truth)
    assert printed == pytest.approx(measured, abs=0.01)
    assert_beats_zero(measured, truth, CLI_FIT_MARGIN)


def test_interpolate_between_molecules_with_the_shipped_autoencoder(tmp_path):
    out = tmp_path / "frames.npz"
    rc = main(["interpolate", "default", "--from", "CCO", "--to", "CCCO", "--frames", "3",
               "-n", "12", "-o", str(out)])
    assert rc == 0
    z = np.load(out)
    assert z["values"].shape[:1] == (3,) and z["values"].shape[2:] == (12, 12, 12)
    assert np.isfinite(z["values"]).all()


def test_sample_and_fit_an_md_trajectory(tmp_path, capsys):
    # MDAnalysis is optional for users (the "md" extra) but part of the test environment
    # (the "testing" extra): a missing one fails here rather than skipping silently.
    from napari_molfield.autodecoder.checkpoint import load_model

    data = Path(__file__).resolve().parent / "data" / "structures"
    traj = ["--trajectory", str(data / "tip125_tric_C36.dcd"), "--keep-waters"]
    out = tmp_path / "frame.npz"
    assert main(["sample", str(data / "tip125_tric_C36.psf"), *traj, "--frames", "::3",
                 "--conformer", "2", "--channels", "O,H", "-n", "16", "-o", str(out)]) == 0
    assert out.exists()
    ckpt = tmp_path / "traj.safetensors"
    assert main(["fit", str(data / "tip125_tric_C36.psf"), *traj, "--frames", "0:6:2",
                 "--model", "siren", "--channels", "O,H", "--preset", "tiny", "--steps", "5",
                 "-n", "8",
                 "--device", "cpu", "-o", str(ckpt)]) == 0
    model = load_model(ckpt)
    assert model.n_items == 3 and [it["conformer_name"] for it in model.items] == [
        "frame 0", "frame 2", "frame 4"]
    capsys.readouterr()
    assert main(["sample", str(data / "tip125_tric_C36.psf"), *traj, "--frames", "50:",
                 "-n", "8", "-o", str(tmp_path / "x.npz")]) == 2
    assert "past the end" in capsys.readouterr().err
    assert main(["sample", str(data / "tip125_tric_C36.psf"), *traj, "--frames", "a:b",
                 "-n", "8", "-o", str(tmp_path / "x.npz")]) == 2


class FakeTime:
    """A ``time`` module whose clock advances ``tick`` seconds at every reading."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 1000.0, tick

    def perf_counter(self) -> float:
        self.now += self.tick
        return self.now


def test_time_budget_alone_decides_and_logs_are_lines(tmp_path, capsys, monkeypatch):
    """The fit's clock is fake (0.05 s per reading): the budget, not the wall time of a
    busy machine, decides when the fit stops."""
    import napari_molfield.nn.schedule as schedule
    from napari_molfield.autodecoder.checkpoint import load_model

    monkeypatch.setattr(schedule, "time", FakeTime(0.05))
    out = tmp_path / "timed.safetensors"
    assert main(["fit", "CCO", "--preset", "tiny", "--time", "4", "-n", "8", "--model", "siren",
                 "--device", "cpu", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and 1 <= err.count("\n") <= 10  # a few lines, not a bar stream
    model = load_model(out)
    assert model.fit_config["time_budget"] == 4.0 and model.fit_config["steps"] >= 10**9
    last = model.history[-1]
    assert 4.0 <= last["elapsed"] < 5.0, last  # stopped by the budget, just past it
    # every step reads the clock at least once, so 4 s of fake time hold at most 80 steps
    # (26 were seen: three readings a step)
    assert 1 <= last["step"] <= 80, last
