"""`LatentItems`: what a model with one latent per item answers about its items.

The auto-decoder (`FittedModel`) and the deformable ensemble (`DeformModel`) hold
``items`` (one JSON-friendly dict per item, with ``name`` and ``scale``), ``latents``
``[I, L]`` and a ``config`` with ``latent_dim``; this mixin gives both the members of the
model protocol (`napari_molfield.models.FieldModel`) that follow from those.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from ..errors import MolfieldError


class LatentItems:
    """Mixin: ``n_items``, ``item_names``, ``latent_dim``, ``item_index``, ``scale``,
    ``latent`` from ``items``, ``latents`` and ``config``."""

    #: What one item is called in messages ("item", "conformer").
    item_word: ClassVar[str] = "item"
    items: list[dict[str, Any]]
    latents: torch.Tensor
    config: Any

    @property
    def n_items(self) -> int:
        """Number of items ``I``."""
        return len(self.items)

    @property
    def item_names(self) -> list[str]:
        """Names of the items, in order."""
        return [str(it["name"]) for it in self.items]

    @property
    def latent_dim(self) -> int:
        """Latent length ``L``."""
        return int(self.config.latent_dim)

    def item_index(self, item: int | str) -> int:
        """Index of ``item`` (an index, negative allowed, or a name)."""
        if isinstance(item, str):
            names = self.item_names
            if item not in names:
                raise MolfieldError(f"The model has no {self.item_word} named {item!r}.")
            return names.index(item)
        i = int(item)
        if not -self.n_items <= i < self.n_items:
            raise MolfieldError(f"{self.item_word.capitalize()} {item} does not exist: the "
                                f"model holds {self.n_items} {self.item_word}(s).")
        return i % self.n_items

    def scale(self, item: int | str = 0) -> np.ndarray:
        """``[C]`` per-channel normalisation scale of ``item``."""
        return np.asarray(self.items[self.item_index(item)]["scale"], dtype=np.float64)

    def latent(self, item: int | str = 0) -> torch.Tensor:
        """The ``[L]`` latent code of ``item`` (detached)."""
        return self.latents[self.item_index(item)].detach()


__all__ = ["LatentItems"]
