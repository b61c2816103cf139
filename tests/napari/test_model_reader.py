"""The model reader (no viewer: a script) shows every kind, atoms stored or not."""

from __future__ import annotations

from pathlib import Path

from napari_molfield._napari._model_reader import read_model
from napari_molfield.autodecoder.checkpoint import save_model
from napari_molfield.autodecoder.fit import fit_model
from napari_molfield.autoencoder.checkpoint import default_model_path
from napari_molfield.fields.maps import read_map

DATA = Path(__file__).resolve().parents[1] / "data"


def test_an_autoencoder_checkpoint_is_shown() -> None:
    # found by the fuzzer: AttributeError ('AEModel' object has no attribute 'table')
    layers = read_model(default_model_path())
    assert layers and all(kind == "image" for _, _, kind in layers)


def test_a_fit_of_a_map_is_shown(tmp_path: Path) -> None:
    # was "This model stores no atoms" (the decoded channels were chosen by the atoms)
    model = fit_model(read_map(DATA / "maps" / "EMD-3197.map.bz2"), preset="tiny", steps=2,
                      resolution=8, seed=0, device="cpu")
    layers = read_model(save_model(model, tmp_path / "map.safetensors"))
    assert len(layers) == 1 and layers[0][2] == "image"
    assert layers[0][0].shape == (48, 48, 48)
