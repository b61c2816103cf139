"""The shipped auto-encoder loads, encodes molecules it has never seen, and does not care
about their orientation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.autoencoder.checkpoint import default_model_path, load_default_model
from napari_molfield.autoencoder.encode import decode_latent, evaluate_molecules
from napari_molfield.autoencoder.latents import dataset_latents
from napari_molfield.fields.metrics import psnr

from .._quality import assert_beats_zero, autoencoder_truth, zero_psnr

ROOT = Path(__file__).resolve().parents[2]
#: Neither is in FreeSolv (checked against the canonical SMILES of database.txt below).
NEW = {"ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "paracetamol": "CC(=O)Nc1ccc(O)cc1"}
#: dB over the zero field (all channels, and the occupied ones), computed by the test on
#: the canonical training grid. Measured: ibuprofen 36.51 / 31.87 dB over 33.01 / 28.24
#: (+3.50 / +3.63), paracetamol 40.04 / 36.70 over 34.56 / 31.04 (+5.48 / +5.66); the
#: orientation study's diazepam +3.19 (occupied). Decoding the other molecule's latent
#: scores +1.91 / +2.17 and +0.24 / +0.27, a zero latent −0.7 / −0.3 and −1.3 / −1.2: a
#: model that ignores its latent fails.
MARGIN = 2.5


@pytest.fixture(scope="module")
def model():
    return load_default_model()


def test_shipped_file_is_small_and_complete(model):
    assert default_model_path().stat().st_size < 6 * 2**20
    assert model.channels == ("H", "C", "N", "O", "F", "P", "S", "Cl", "other")
    assert model.resolution == 32 and model.box_edge == 24.0 and model.canonical
    names, smiles, lat, props = dataset_latents(model)
    # the corpus (FreeSolv + NCI) is listed in full; latents are kept for FreeSolv's 642
    assert len(model.meta["dataset"]["names"]) > 3000
    assert len(names) == len(smiles) == lat.shape[0] == model.n_items == 642
    assert not any(n.startswith("nci_") for n in names)
    assert np.isfinite(props["dG_hyd"]).all()  # every map point has its hydration energy
    split = model.meta["split"]
    assert not set(split["test"]) & set(split["train"])
    assert model.meta["evaluation"]["test"]["n"] == len(split["test"])


def test_encodes_molecules_not_in_the_training_data(model):
    from rdkit import Chem

    from napari_molfield.autoencoder.corpus import UNSEEN_DRUGS

    lines = (ROOT / "sample_data" / "freesolv_database.txt").read_text().splitlines()
    known = {Chem.CanonSmiles(x.split(";")[1].strip()) for x in lines if not x.startswith("#")}
    known |= {Chem.CanonSmiles(s) for s in model.meta["dataset"]["smiles"]}
    assert not {Chem.CanonSmiles(s) for s in UNSEEN_DRUGS.values()} & known
    ev = evaluate_molecules(model, list(NEW.values()))
    assert ev["latents"].shape == (2, model.latent_dim)
    per = ev["per_molecule"]
    truth, occupied = autoencoder_truth(model, list(NEW.values()))
    n = model.resolution
    for i, name in enumerate(NEW):
        t, occ = truth[i], occupied[i]
        assert_beats_zero(per["psnr"][i], t, MARGIN, f"{name}, all channels:")
        assert_beats_zero(per["psnr_occupied"][i], t[occ], MARGIN, f"{name}, occupied:")
        # the reported PSNR is the decoded latent against this truth ...
        own = decode_latent(model, ev["latents"][i], n, skip_empty=False).values
        assert psnr(own, t) == pytest.approx(per["psnr"][i], abs=0.01)
        # ... and the margin needs the molecule's own latent: the other's falls short
        other = decode_latent(model, ev["latents"][1 - i], n, skip_empty=False).values
        assert psnr(other, t) < zero_psnr(t) + MARGIN
        assert psnr(other[occ], t[occ]) < zero_psnr(t[occ]) + MARGIN
    field = decode_latent(model, ev["latents"][0], 24)
    assert field.values.shape == (9, 24, 24, 24) and field.values.max() > 0.5


def test_orientation_does_not_matter(model):
    from napari_molfield.autoencoder.orientation import orientation_study

    smiles = [NEW["ibuprofen"], "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21"]
    res = orientation_study(model, smiles, n=3, seed=1)
    assert res["drift_ratio"] < 0.01, res["drift_ratio"]
    assert res["spread"].max() < 1.5, res["spread"]
    # every orientation clears the zero field of the molecule (the canonical frame makes
    # its grid the same whatever the orientation)
    truth, occupied = autoencoder_truth(model, smiles)
    for i, smi in enumerate(smiles):
        for value in res["psnr_occupied"][i]:
            assert_beats_zero(value, truth[i][occupied[i]], MARGIN, f"{smi}, occupied:")
