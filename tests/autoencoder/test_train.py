"""A tiny training run improves held-out PSNR; stop, resume, channel mismatch; CLI."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.autoencoder.checkpoint import load_autoencoder
from napari_molfield.autoencoder.encode import encode_molecules, evaluate_molecules
from napari_molfield.autoencoder.latents import dataset_latents
from napari_molfield.autoencoder.train import train
from napari_molfield.errors import MolfieldError

TINY = dict(preset="tiny", resolution=16, box_edge=16.0, batch_items=4, batch_points=256,
            eval_every=1000, eval_items=4, device="cpu", lr=2e-3, lr_encoder=2e-3)


def test_tiny_training_improves_held_out_psnr(small_dataset, tmp_path):
    run = train(small_dataset, steps=160, seed=0, **TINY)
    assert len(run.split["test"]) == 2 and len(run.split["val"]) == 2
    held = run.parts["val"] + run.parts["test"]
    before = evaluate_molecules(run.model, held)
    losses = [p.loss for p in run]
    after = evaluate_molecules(run.model, held)
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    assert after["psnr"] > before["psnr"] + 1.0, (before["psnr"], after["psnr"])
    assert after["psnr_occupied"] > before["psnr_occupied"] + 1.0
    assert after["psnr_occupied"] < after["psnr"]  # empty channels are easy
    refined = evaluate_molecules(run.model, held, refine_steps=10)
    # refinement draws half its points where the molecule is: it serves the occupied channels
    assert refined["psnr_occupied"] > after["psnr_occupied"], (after, refined)
    run.finish()
    path = run.save(tmp_path / "tiny.safetensors")
    model = load_autoencoder(path)
    names, smiles, lat, props = dataset_latents(model)
    assert smiles[0] == "CCO"
    assert names == small_dataset.names and lat.shape == (16, model.latent_dim)
    assert {"MolLogP", "TPSA", "split"} <= set(props)
    assert sorted(set(props["split"].tolist())) == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(encode_molecules(model, small_dataset.molecules[:2]), lat[:2],
                               rtol=2e-3, atol=2e-3)  # stored in half precision
    assert model.meta["evaluation"]["test"]["n"] == 2


def test_stop_and_resume(small_dataset, tmp_path):
    run = train(small_dataset, steps=20, seed=0, **TINY)
    for p in run:
        if p.step == 5:
            break  # stoppable at any step
    assert run.step == 5
    path = run.save(tmp_path / "part.safetensors")
    again = train(small_dataset, resume=path, steps=8)
    assert again.step == 5 and again.split == run.split
    assert again.optimizer.state  # Adam moments restored
    assert [p.step for p in again] == [6, 7, 8]
    with pytest.raises(MolfieldError, match="trained with channels"):
        train(small_dataset, resume=path, channels="C,N,O", steps=8)


def test_cli_train_and_encode(smi_file, cache_dir, tmp_path, capsys):
    from napari_molfield.cli import main

    out = tmp_path / "cli.safetensors"
    rc = main(["train", str(smi_file), "-o", str(out), "--steps", "3", "--preset", "tiny",
               "--resolution", "16", "--batch-items", "2", "--batch-points", "256",
               "--cache-dir", str(cache_dir), "--device", "cpu"])
    assert rc == 0 and out.exists()
    assert "test PSNR" in capsys.readouterr().out
    lat = tmp_path / "lat.npz"
    rc = main(["encode", str(out), "CCO", "C1CC", str(smi_file), "-o", str(lat)])
    captured = capsys.readouterr()
    assert rc == 0 and "C1CC" in captured.err  # the bad SMILES is reported, not dropped
    with np.load(lat) as z:
        assert z["latents"].shape[0] == 17 and z["names"][0] == "CCO"
        assert np.isfinite(z["psnr"]).all()
