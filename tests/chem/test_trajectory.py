"""MD trajectories as conformer ensembles (MDAnalysis)."""

from __future__ import annotations

import shutil
import tracemalloc
import warnings
from pathlib import Path

import MDAnalysis as mda  # optional for users ("md" extra), required by the test suite
import numpy as np
import pytest

from napari_molfield.chem import read_trajectory
from napari_molfield.errors import MolfieldError

STRUCTURES = Path(__file__).resolve().parents[1] / "data" / "structures"
PSF = STRUCTURES / "tip125_tric_C36.psf"
DCD = STRUCTURES / "tip125_tric_C36.dcd"


def _universe(*files: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mda.Universe(*map(str, files))


def test_psf_dcd_frames_and_selection() -> None:
    u = _universe(PSF, DCD)
    n = len(u.trajectory)
    with pytest.warns(UserWarning, match="inferred"):
        m = read_trajectory(PSF, DCD, keep_waters=True)
    assert m.coords.shape == (n, len(u.atoms), 3)
    u.trajectory[n - 1]
    np.testing.assert_allclose(m.coords[-1], u.atoms.positions, atol=1e-5)
    assert set(m.elements) == {"O", "H"}
    assert m.conformer_names[0] == "frame 0"
    sub = read_trajectory(PSF, DCD, start=1, step=2, select="name OH2", keep_waters=True)
    assert sub.n_conformers == len(range(n)[1::2]) and set(sub.elements) == {"O"}
    u.trajectory[3]
    np.testing.assert_allclose(sub.coords[1], u.select_atoms("name OH2").positions, atol=1e-5)
    with pytest.raises(MolfieldError, match="no atoms"):
        read_trajectory(PSF, DCD)  # only water, and waters are dropped by default


def test_frame_errors() -> None:
    n = len(_universe(PSF, DCD).trajectory)
    with pytest.raises(MolfieldError, match=rf"tip125_tric_C36\.psf.*start={n}.*past the end"):
        read_trajectory(PSF, DCD, start=n, keep_waters=True)
    with pytest.raises(MolfieldError, match="past the end"):
        read_trajectory(PSF, DCD, stop=n + 5, keep_waters=True)
    with pytest.raises(MolfieldError, match="step must be positive"):
        read_trajectory(PSF, DCD, step=0, keep_waters=True)
    with pytest.raises(MolfieldError, match="invalid atom selection"):
        read_trajectory(PSF, DCD, select="resname (", keep_waters=True)


def test_atom_count_mismatch(tmp_path: Path) -> None:
    # a copy: MDAnalysis writes an offsets cache (and its lock) next to an XTC file
    xtc = tmp_path / "xtc_test_only_10_frame_10_atoms.xtc"
    shutil.copy(STRUCTURES / xtc.name, xtc)
    with pytest.raises(MolfieldError, match=r"different numbers of atoms \(topology \d+"):
        read_trajectory(PSF, xtc)


def test_compressed_topology_and_truncation(tmp_path: Path) -> None:
    gro = STRUCTURES / "adk_protein_ions.gro.xz"
    m = read_trajectory(gro, select="protein")
    assert m.n_atoms == 3341 and m.n_conformers == 1
    cut = tmp_path / "cut.gro.xz"
    raw = gro.read_bytes()
    cut.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(MolfieldError, match=r"cut\.gro\.xz.*truncated"):
        read_trajectory(cut)


def test_long_trajectory_reads_only_selected_frames(tmp_path: Path) -> None:
    # 10,000 frames of 300 atoms: all coordinates as float64 would take 72 MB.
    n_atoms, n_frames = 300, 10_000
    u = mda.Universe.empty(n_atoms, n_residues=n_atoms, atom_resindex=np.arange(n_atoms),
                           trajectory=True)
    u.add_TopologyAttr("name", ["CA"] * n_atoms)
    u.add_TopologyAttr("resname", ["ALA"] * n_atoms)
    u.add_TopologyAttr("resid", np.arange(1, n_atoms + 1))
    pdb = tmp_path / "top.pdb"
    dcd = tmp_path / "long.dcd"
    rng = np.random.default_rng(0)
    base = rng.normal(scale=10, size=(n_atoms, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u.atoms.positions = base
        u.atoms.write(str(pdb))
        with mda.Writer(str(dcd), n_atoms) as w:
            for k in range(n_frames):
                u.atoms.positions = base + k * 1e-3
                w.write(u.atoms)
    tracemalloc.start()
    m = read_trajectory(pdb, dcd, step=1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert m.n_conformers == 10 and m.conformer_names[-1] == "frame 9000"
    np.testing.assert_allclose(m.coords[-1], base + 9.0, atol=1e-3)
    assert peak < 20e6
