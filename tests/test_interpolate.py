"""Latent interpolation of the plain field: exact endpoints and via-points, supports,
the shared interface of every kind's interpolator, movies, CLI. (Paths: test_paths.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.autodecoder.decode import decode
from napari_molfield.autodecoder.interpolate import interpolator
from napari_molfield.chem.readers import read_molecules
from napari_molfield.errors import MolfieldError
from napari_molfield.interpolation.field import Interpolator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["mehta", "shift"])
def model(request):
    from napari_molfield.autodecoder.fit import fit_model

    mol = read_molecules(ROOT / "sample_data" / "1l2y.pdb")[0]
    return fit_model([(mol, k) for k in (0, 5, 9)], channels="C,N,O", preset="tiny",
                     steps=20, resolution=12, modulation=request.param)


def test_endpoints_and_via_points_reproduce_decode(model):
    interp = interpolator(model, [0, 1, 2], 16, support="all")
    assert interp.key_times.tolist() == [0.0, 0.5, 1.0] and interp.n_keys == 3
    for t, item in ((0.0, 0), (0.5, 1), (1.0, 2)):
        np.testing.assert_allclose(interp.values(t), decode(model, item, 16).values,
                                   atol=2e-6)
        f = interp.field(t)
        assert np.allclose(f.origin, model.box(item).origin(16))
        assert f.meta["scale"] == pytest.approx(list(model.items[item]["scale"]))


def test_small_chunks_give_the_same_frames(model):
    ids = [0, 2]
    boxes = [model.box(i) for i in ids]
    args = (model.network, model.latents[ids], boxes, model.channels, 12)
    big = Interpolator(*args, skip_empty=False)
    small = Interpolator(*args, skip_empty=False, chunk_points=100)
    np.testing.assert_allclose(small.values(0.3), big.values(0.3), atol=1e-6)
    assert big.scale(0.3) is None and big.names == ["latent 0", "latent 1"]
    with pytest.raises(MolfieldError, match="2 boxes for 3 latents"):
        Interpolator(model.network, model.latents, boxes, model.channels, 12)
    with pytest.raises(MolfieldError, match="needs 8"):
        Interpolator(model.network, np.zeros((2, 3)), boxes, model.channels, 12)


def test_midpoint_is_the_decode_of_the_mixed_latent(model):
    interp = interpolator(model, [0, 2], 12, support="all")
    z = 0.7 * model.latent(0).numpy() + 0.3 * model.latent(2).numpy()
    np.testing.assert_allclose(interp.values(0.3), decode(model, 0, 12, latent=z).values,
                               atol=2e-6)


def test_atom_support_is_exact_inside_and_zero_outside(model):
    full = interpolator(model, [0, 2], 16, support="all")
    sparse = interpolator(model, [0, 2], 16, support="atoms")
    assert 0.05 < sparse.support_fraction < 0.9
    a, b = full.values(0.4), sparse.values(0.4)
    inside = np.zeros(16**3, bool)
    inside[sparse.index] = True
    inside = inside.reshape(16, 16, 16)
    np.testing.assert_allclose(b[:, inside], a[:, inside], atol=2e-6)
    assert not b[:, ~inside].any()


def test_out_buffer_is_reused_and_refilled(model):
    interp = interpolator(model, [0, 2], 12)
    out = np.full((3, 12, 12, 12), 7.0, np.float32)
    assert interp.values(1.0, out=out) is out
    np.testing.assert_array_equal(out, interp.values(1.0))


def test_every_interpolator_has_the_same_interface(model, tmp_path):
    interp = interpolator(model, ["1L2Y [model 1]", 2], 10, mode="slerp", names=["a", "b"])
    assert not interp.moves_atoms and interp.names == ["a", "b"] and interp.mode == "slerp"
    assert interp.channels == ("C", "N", "O") and interp.n == 10
    np.testing.assert_allclose(interp.latent(1.0), model.latent(2).numpy(), atol=1e-6)
    np.testing.assert_allclose(interp.values_of(interp.latent(0.5)), interp.values(0.5))
    assert interp.field(0.5).meta["name"] == "a → b (0.50)"
    fields = list(interp.frames(3))
    assert [f.meta["t"] for f in fields] == [0.0, 0.5, 1.0]
    d = interp.arrays(3)
    assert d["values"].shape == (3, 3, 10, 10, 10) and d["t"].tolist() == [0.0, 0.5, 1.0]
    assert d["origin"].shape == (3, 3) and d["spacing"].shape == (3,)
    np.testing.assert_array_equal(d["values"][1], fields[1].values)
    with pytest.raises(MolfieldError, match="Only a deformable model moves atoms"):
        interp.atoms(0.5)
    with pytest.raises(MolfieldError, match="Only a deformable model moves atoms"):
        interp.write_atoms(tmp_path / "x.pdb", 3)
    assert not (tmp_path / "x.pdb").exists()
    for bad in ({"support": "near"}, {"mode": "cubic"}):
        with pytest.raises(MolfieldError):
            interpolator(model, [0, 1], 10, **bad)
    with pytest.raises(MolfieldError, match="at least two"):
        interpolator(model, [0], 10)
    with pytest.raises(MolfieldError, match="1 names for 2 keys"):
        interpolator(model, [0, 1], 10, names=["a"])


def test_movie_files_have_every_frame(tmp_path):
    from napari_molfield.interpolation.movie import (
        channel_colours,
        count_frames,
        render_mip,
        write_movie,
    )

    rng = np.random.default_rng(1)
    colours = channel_colours(["C", "N", "O"])
    frames = [render_mip(0.3 * rng.random((3, 16, 16, 16), dtype=np.float32), colours, size=64)
              for _ in range(5)]
    assert frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    for suffix in (".gif", ".mp4"):
        out = write_movie(frames, tmp_path / f"m{suffix}", fps=10)
        assert count_frames(out) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gif", "m.mp4"]  # no temp left
    with pytest.raises(MolfieldError):
        write_movie(frames, tmp_path / "m.avi")
    with pytest.raises(MolfieldError):
        write_movie([], tmp_path / "empty.gif")
    assert not (tmp_path / "empty.gif").exists()


def test_movie_module_imports_no_qt():
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from napari_molfield.interpolation.movie import channel_colours, render_mip\n"
            "render_mip(np.ones((2, 4, 4, 4), np.float32), channel_colours(['C', 'O']))\n"
            "print('napari' in sys.modules, 'qtpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def test_cli_writes_npz_and_gif(model, tmp_path):
    from napari_molfield.autodecoder.checkpoint import save_model
    from napari_molfield.cli import main
    from napari_molfield.interpolation.movie import count_frames

    ckpt = save_model(model, tmp_path / "m.safetensors")
    out = tmp_path / "frames.npz"
    assert main(["interpolate", str(ckpt), "--from", "0", "--to", "2", "--via", "1",
                 "--frames", "5", "--resolution", "10", "--mode", "slerp",
                 "--output", str(out)]) == 0
    d = np.load(out)
    assert d["values"].shape == (5, 3, 10, 10, 10)
    assert d["t"].shape == (5,) and d["origin"].shape == (5, 3) and d["spacing"].shape == (5,)
    assert d["channels"].tolist() == ["C", "N", "O"]
    np.testing.assert_allclose(d["values"][2][d["values"][2] != 0],
                               decode(model, 1, 10).values[d["values"][2] != 0], atol=2e-6)
    mp4 = tmp_path / "m.mp4"  # (a GIF merges identical consecutive frames)
    assert main(["interpolate", str(ckpt), "--from", "0", "--to", "1", "--frames", "3",
                 "-n", "8", "--size", "32", "-o", str(mp4)]) == 0
    assert count_frames(mp4) == 3
    assert main(["interpolate", str(ckpt), "--from", "0", "--to", "7", "--frames", "3",
                 "-o", str(tmp_path / "x.npz")]) == 2  # no item 7: one line, exit 2


def test_autoencoder_latents_match_decode_latent():
    from napari_molfield.autoencoder.checkpoint import default_model_path, load_default_model
    from napari_molfield.autoencoder.encode import decode_latent
    from napari_molfield.autoencoder.interpolate import interpolator as ae_interpolator

    if not default_model_path().is_file():
        pytest.skip("the shipped auto-encoder is not installed")
    ae = load_default_model()
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, ae.latent_dim)).astype(np.float32)
    interp = ae_interpolator(ae, z, 12, mode="slerp", support="all")
    np.testing.assert_allclose(interp.values(1.0), decode_latent(ae, z[1], 12,
                                                                 skip_empty=False).values,
                               atol=1e-5)
    assert interp.box(0.5).centre == (0.0, 0.0, 0.0) and interp.names[1] == "latent 1"
    with pytest.raises(MolfieldError, match="encode the molecules first"):
        ae_interpolator(ae, ["CCO", "CCCO"], 12)
