"""One tiny model of each kind (the deformable one from `tests/deform`'s rigid motion)."""

from __future__ import annotations

import pytest

from ..autodecoder.conftest import tiny_model, water_methanol  # noqa: F401
from ..deform.conftest import moving, moving_model  # noqa: F401


@pytest.fixture(scope="session")
def shipped_ae():
    """The shipped FreeSolv auto-encoder."""
    from napari_molfield import models

    return models.load("default")


@pytest.fixture(scope="session")
def two_items(moving):  # noqa: F811
    """An auto-decoder of the two conformers of `moving` (one latent each)."""
    from napari_molfield.autodecoder.fit import fit_model

    return fit_model(moving, channels="C,O,H", resolution=12, preset="tiny", steps=150,
                     seed=0, device="cpu")


@pytest.fixture(scope="session")
def every_kind(two_items, moving_model, shipped_ae):  # noqa: F811
    """``{kind: model}`` for the three kinds, each with at least two items."""
    return {"auto-decoder": two_items, "deformable": moving_model, "auto-encoder": shipped_ae}
