"""Landscapes of trajectories (issue 24): colourings, states, density, files, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gemmi
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from napari_molfield.errors import MolfieldError
from napari_molfield.landscape.frames import (
    csv_column,
    frame_values,
    radius_of_gyration,
    superposed_rmsd,
)
from napari_molfield.landscape.landscape import build_landscape, save_landscape
from napari_molfield.landscape.states import kmeans_states, map_density

DATA = Path(__file__).parent / "data"


def _frames(n: int = 12, seed: int = 0) -> np.ndarray:
    """A 30-atom chain opening like a hinge, each frame turned and shifted at random."""
    rng = np.random.default_rng(seed)
    base = np.cumsum(rng.normal(size=(30, 3)), axis=0)
    out = []
    for k in range(n):
        x = base.copy()
        x[15:] = (x[15:] - x[15]) @ Rotation.from_euler("z", 4 * k, degrees=True).as_matrix().T \
            + x[15]
        out.append(x @ Rotation.random(random_state=k).as_matrix().T + rng.normal(size=3) * 5)
    return np.stack(out)


def test_superposed_rmsd_matches_mdanalysis_and_ignores_rigid_motion():
    from MDAnalysis.analysis.rms import rmsd

    xyz = _frames()
    ours = superposed_rmsd(xyz, xyz[0])
    theirs = [rmsd(f, xyz[0], center=True, superposition=True) for f in xyz]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert ours[0] < 1e-6 and np.all(np.diff(ours) > 0)  # the hinge opens monotonically
    moved = xyz[3] @ Rotation.random(random_state=7).as_matrix().T + 10.0
    assert superposed_rmsd(moved[None], xyz[3])[0] < 1e-6


def test_radius_of_gyration_and_frame_values():
    xyz = np.zeros((2, 2, 3))
    xyz[0, 1, 0], xyz[1, 1, 0] = 2.0, 4.0
    np.testing.assert_allclose(radius_of_gyration(xyz), [1.0, 2.0])
    v, label = frame_values("rg", 2, xyz)
    assert label.startswith("radius of gyration") and v[1] == 2.0
    v, label = frame_values("frame", 3)
    assert list(v) == [0, 1, 2] and label == "frame"
    with pytest.raises(MolfieldError, match="needs the atoms"):
        frame_values("rmsd", 3)
    with pytest.raises(MolfieldError, match="Unknown colouring"):
        frame_values("colour", 3)
    with pytest.raises(MolfieldError, match="does not exist"):
        frame_values("rmsd", 2, xyz, reference=5)


def test_csv_column_reads_one_row_per_frame(tmp_path):
    p = tmp_path / "cv.csv"
    p.write_text("frame,dist\n0,1.5\n1,\n2,abc\n")
    np.testing.assert_array_equal(np.isnan(csv_column(p, "dist", 3)), [False, True, True])
    assert csv_column(p, "dist", 3)[0] == 1.5
    with pytest.raises(MolfieldError, match="no column 'angle'"):
        csv_column(p, "angle", 3)
    with pytest.raises(MolfieldError, match="3 rows for 4 frames"):
        csv_column(p, "dist", 4)
    with pytest.raises(MolfieldError, match="cannot read"):
        csv_column(tmp_path / "missing.csv", "dist", 3)


def test_states_are_the_clusters_and_their_representatives_are_members():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.1, (20, 4)), rng.normal(5, 0.1, (8, 4))])
    st = kmeans_states(z, 2, seed=0)
    assert list(st.sizes) == [20, 8]  # the most populated first
    assert set(st.labels[:20]) == {0} and set(st.labels[20:]) == {1}
    assert st.representatives[0] < 20 <= st.representatives[1]
    with pytest.raises(MolfieldError, match="≥ 1"):
        kmeans_states(z, 0)


def test_density_is_lowest_where_the_items_crowd():
    rng = np.random.default_rng(1)
    xy = np.concatenate([rng.normal(0, 0.2, (80, 2)), rng.normal(3, 0.2, (10, 2))])
    d = map_density(xy, bins=40)
    iy, ix = np.unravel_index(np.nanargmin(d.free_energy), d.free_energy.shape)
    assert abs(d.x[ix]) < 0.5 and abs(d.y[iy]) < 0.5
    assert np.nanmin(d.free_energy) == 0.0
    with pytest.raises(MolfieldError, match="line"):
        map_density(np.c_[np.arange(5.0), np.arange(5.0)])


def test_landscape_files(tmp_path):
    xyz = _frames()
    z = np.c_[np.arange(12.0), np.sin(np.arange(12.0))]
    ls = build_landscape(z, [f"traj [frame {k}]" for k in range(12)], coords=xyz,
                         colour="rmsd", n_states=3, held_out=[4, 8])
    assert ls.labels[4] == "frame 4" and list(np.flatnonzero(ls.held_out)) == [4, 8]
    assert ls.colour_label == "RMSD to frame 0 (Å)"
    npz = np.load(save_landscape(ls, tmp_path / "l.npz"))
    np.testing.assert_allclose(npz["xy"], ls.xy)
    assert npz["states"].shape == (12,) and npz["free_energy"].ndim == 2
    rows = (save_landscape(ls, tmp_path / "l.csv")).read_text().splitlines()
    assert len(rows) == 13 and rows[0].startswith("index,name,x,y,RMSD")
    png = save_landscape(ls, tmp_path / "l.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(MolfieldError, match="write a landscape as"):
        save_landscape(ls, tmp_path / "l.txt")
    with pytest.raises(MolfieldError, match="12 latents"):
        build_landscape(z, ["a"], coords=xyz)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "napari_molfield.cli", *args],
                          capture_output=True, text=True, timeout=600)


def test_cli_landscape_of_a_deformable_model(tmp_path):
    model = DATA / "checkpoints" / "glycine_deform.safetensors"
    r = _cli("landscape", str(model), "-o", str(tmp_path / "l.png"), "-o",
             str(tmp_path / "l.csv"), "--colour", "rmsd", "--states", "2",
             "--states-pdb", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "coloured by RMSD to frame 0" in r.stdout
    assert (tmp_path / "l.png").stat().st_size > 1000
    st = gemmi.read_structure(str(tmp_path / "state_0.pdb"))
    assert st[0].count_atom_sites() == 4  # the model's 4 atoms, one model
    bad = _cli("landscape", str(model), "-o", str(tmp_path / "l.txt"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "l.txt" in bad.stderr
    bad = _cli("landscape", str(model), "-o", str(tmp_path / "l.csv"), "--colour", "csv:x")
    assert bad.returncode == 2 and "--csv" in bad.stderr

