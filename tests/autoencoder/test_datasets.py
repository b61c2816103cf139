"""Dataset reading: FreeSolv, CSV, SDF; bad rows reported, conformer cache, split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.autoencoder.conformers import cached_conformer
from napari_molfield.autoencoder.datasets import load_dataset, make_split, read_records
from napari_molfield.autoencoder.inputs import field_inputs, random_rotations
from napari_molfield.errors import MolfieldError

ROOT = Path(__file__).resolve().parents[2]
FREESOLV = ROOT / "sample_data" / "freesolv_database.txt"


def test_freesolv_records():
    records, problems, n = read_records(FREESOLV)
    assert n == 642 and len(records) == 642 and not problems
    first = records[0]
    assert first.name == "mobley_1017962" and first.smiles == "CCCCCC(=O)OC"
    assert first.properties["dG_hyd"] == pytest.approx(-2.49)


def test_broken_rows_are_reported(tmp_path, cache_dir):
    text = FREESOLV.read_text().splitlines()
    lines = text[:3] + text[3:6] + [
        "mobley_bad1; CCO",  # too few fields
        "mobley_bad2; CCO; ethanol; not-a-number; 0.6; -5; 0.03; ref; ref; note",
        "mobley_bad3; C1CC; broken ring; -1.0; 0.6; -5; 0.03; ref; ref; note",
        "mobley_bad4; C(C)(C)(C)(C)C; pentavalent; -1.0; 0.6; -5; 0.03; ref; ref; note",
        "mobley_big; " + "C" * 40 + "; long chain; -1.0; 0.6; -5; 0.03; ref; ref; note",
        "mobley_iodo; CI; iodomethane; -0.89; 0.6; -0.1; 0.03; ref; ref; note",
    ]
    path = tmp_path / "database.txt"
    path.write_text("\n".join(lines) + "\n")
    ds = load_dataset(path, cache_dir=cache_dir, box_edge=20.0)
    assert ds.n_rows == 9
    skipped = {p.name: p.reason for p in ds.skipped}
    assert set(skipped) == {"mobley_bad1", "mobley_bad2", "mobley_bad3", "mobley_bad4",
                            "mobley_big"}
    assert "not a number" in skipped["mobley_bad2"]
    assert "larger than the 20 Å box" in skipped["mobley_big"]
    assert ds.names == [*(line.split(";")[0] for line in text[3:6]), "mobley_iodo"]
    notes = [p for p in ds.problems if not p.skipped]
    assert len(notes) == 1 and "'other'" in notes[0].reason
    report = ds.report()
    assert "4 of 9 rows used, 5 skipped" in report and "mobley_bad3" in report
    # without an 'other' channel the iodine is dropped, and said so
    ds2 = load_dataset(path, cache_dir=cache_dir, channels="H,C,N,O")
    assert any("dropped" in p.reason for p in ds2.problems if p.name == "mobley_iodo")


def test_csv_and_sdf(tmp_path, cache_dir):
    csv = tmp_path / "mols.csv"
    csv.write_text("name,smiles,logS,comment\nethanol,CCO,0.5,ok\nbad,CCO,1.0\n"
                   "benzene,c1ccccc1,-1.6,x\n")
    ds = load_dataset(csv, cache_dir=cache_dir)
    assert ds.names == ["ethanol", "benzene"] and len(ds.skipped) == 1
    assert ds.properties()["logS"].tolist() == [0.5, -1.6]
    sdf = ROOT / "tests" / "data" / "freesolv_mobley_7378987.sdf"
    bad = tmp_path / "two.sdf"
    bad.write_text(sdf.read_text() + "garbage\n\n  0  0  0  0\nM  END\n$$$$\n")
    ds = load_dataset(bad, cache_dir=cache_dir)
    assert len(ds.molecules) == 1 and len(ds.skipped) == 1
    with pytest.raises(MolfieldError, match="smiles"):
        load_dataset(_write(tmp_path / "x.csv", "a,b\n1,2\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_conformer_cache(tmp_path):
    a = cached_conformer("CCO", seed=3, cache_dir=tmp_path)
    files = list((tmp_path / "conformers").rglob("*.npz"))
    assert len(files) == 1
    b = cached_conformer("CCO", seed=3, cache_dir=tmp_path)
    np.testing.assert_array_equal(a.coords, b.coords)
    assert list(a.elements) == list(b.elements)
    with pytest.raises(MolfieldError):
        cached_conformer("C1CC", cache_dir=tmp_path)
    assert list((tmp_path / "conformers").rglob("*.json"))  # the failure is cached too
    with pytest.raises(MolfieldError):
        cached_conformer("C1CC", cache_dir=tmp_path)


def test_split_is_seeded_and_disjoint():
    names = [f"m{i}" for i in range(50)]
    s = make_split(names, seed=1)
    assert s == make_split(list(reversed(names)), seed=1) | {
        k: [n for n in names if n in set(v)] for k, v in s.items()
    }
    assert sorted(s["train"] + s["val"] + s["test"]) == sorted(names)
    assert len(s["test"]) == 5 and len(s["val"]) == 5
    assert s != make_split(names, seed=2)


def test_shared_box_and_rotations(small_dataset):
    mols = small_dataset.molecules[:3]
    rot = random_rotations(3, np.random.default_rng(0))
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), np.broadcast_to(np.eye(3),
                               (3, 3, 3)), atol=1e-12)
    a = field_inputs(mols, None, 20.0, 2.0)
    b = field_inputs(mols, None, 20.0, 2.0, rotations=rot)
    assert all(box.edge == 20.0 for box in a.boxes)
    np.testing.assert_allclose(a.scales, b.scales, rtol=1e-4)  # peaks are rotation-invariant
    assert a.occupied.shape == (3, 9)
