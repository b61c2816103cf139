"""`FieldModel`: what every model kind offers, whatever it learned from.

An auto-decoder (one latent per molecule, conformer or map), a deformable ensemble (one
latent per conformer of the same atoms) and an auto-encoder (one latent per molecule of its
training dataset, plus the encoder for new ones) are all *fields with latents*: items with
names, a `Box` per item (the network frame), channel names, a per-item normalisation scale
(``None`` for the auto-encoder, whose molecules' channel peaks are known only with the
molecule) and an ``[L]`` latent per item. Everything else — decoding at any resolution,
the analytic truth, interpolation, atoms, checkpoints — is one function of
`napari_molfield.models` that takes any of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import torch

    from ..fields.box import Box


@runtime_checkable
class FieldModel(Protocol):
    """The model protocol (`FittedModel`, `DeformModel` and `AEModel` implement it)."""

    #: ``"auto-decoder"``, ``"auto-encoder"`` or ``"deformable"`` (`models.KINDS`).
    kind: str
    #: Channel names, in order.
    channels: tuple[str, ...]
    #: β of Eq. 1.
    beta: float

    @property
    def n_items(self) -> int:
        """Number of items with a latent."""

    @property
    def item_names(self) -> list[str]:
        """Their names, in order."""

    @property
    def latent_dim(self) -> int:
        """Latent length ``L``."""

    @property
    def device(self) -> torch.device:
        """Where the network lives."""

    def item_index(self, item: int | str) -> int:
        """Index of ``item`` (index, negative allowed, or name), else a `MolfieldError`."""

    def box(self, item: int | str = 0) -> Box:
        """The `Box` of ``item`` (its network frame)."""

    def scale(self, item: int | str = 0) -> np.ndarray | None:
        """``[C]`` normalisation scale of ``item`` (``None``: unknown)."""

    def latent(self, item: int | str = 0) -> torch.Tensor:
        """The ``[L]`` latent of ``item``."""


def conforms(model: Any) -> bool:
    """Whether ``model`` has every member of `FieldModel` (a test helper)."""
    return isinstance(model, FieldModel)


__all__ = ["FieldModel", "conforms"]
