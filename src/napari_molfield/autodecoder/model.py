"""`FittedModel`: a trained network, its latent codes and what each latent stands for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import AtomTable
from ..nn.config import ModelConfig
from ..nn.items import LatentItems
from ..nn.siren import ModulatedSiren


@dataclass(eq=False)
class AtomPack:
    """The Eq. 1 inputs of every item, concatenated (item ``i`` owns rows
    ``offsets[i]:offsets[i + 1]``), so the analytic truth needs no molecule file."""

    xyz: np.ndarray  # [E, 3] float64
    radius: np.ndarray  # [E] float64
    channel: np.ndarray  # [E] int32
    weight: np.ndarray  # [E] float64
    offsets: np.ndarray  # [I + 1] int64

    @classmethod
    def from_tables(cls, tables: list[AtomTable]) -> AtomPack:
        """Pack the used entries of ``tables``."""
        used = [t.used() for t in tables]
        sizes = [len(t.radius) for t in used]
        return cls(
            np.concatenate([t.xyz for t in used]).reshape(-1, 3).astype(np.float64),
            np.concatenate([t.radius for t in used]).astype(np.float64),
            np.concatenate([t.channel for t in used]).astype(np.int32),
            np.concatenate([t.weight for t in used]).astype(np.float64),
            np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        )

    def table(self, item: int, channels: tuple[str, ...]) -> AtomTable:
        """The `AtomTable` of ``item``."""
        a, b = int(self.offsets[item]), int(self.offsets[item + 1])
        return AtomTable(
            self.xyz[a:b].copy(), self.radius[a:b].copy(), self.channel[a:b].copy(),
            self.weight[a:b].copy(), channels,
        )


@dataclass(eq=False)
class FittedModel(LatentItems):
    """An auto-decoder: one `ModulatedSiren` and one latent code per item.

    Decoded values are on each item's normalised scale: channel ``c`` of item ``i`` is
    the Eq. 1 field divided by ``items[i]["scale"][c]`` (fixed once, from
    `channel_peaks`), so multiply by the scale to get back field units.

    Attributes
    ----------
    network
        The shared network (trained in place during a fit).
    config
        Its `ModelConfig`.
    latents
        ``[I, L]`` latent codes (an ``nn.Parameter`` while fitting).
    items
        One JSON-friendly dict per item: ``name``, ``source``, ``molecule`` (index of its
        molecule among the inputs), ``conformer``, ``conformer_name``, ``box``
        (`Box.to_dict`), ``scale`` (per channel), ``elements`` (element counts),
        ``hydrogens_added``.
    channels
        Channel names (`ChannelSpec.parse` rebuilds the spec from them).
    beta
        β of Eq. 1.
    train_resolution
        ``N`` of the training grid.
    atoms
        The Eq. 1 inputs of every item (for the analytic truth), or ``None``.
    fit_config
        The `FitConfig` used, as a dict.
    history
        ``{"step", "loss", "psnr", "elapsed"}`` of every evaluation.
    """

    #: The kind name of the model protocol (`napari_molfield.models`).
    kind: ClassVar[str] = "auto-decoder"

    network: ModulatedSiren
    config: ModelConfig
    latents: torch.Tensor
    items: list[dict[str, Any]]
    channels: tuple[str, ...]
    beta: float
    train_resolution: int
    atoms: AtomPack | None = None
    fit_config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def device(self) -> torch.device:
        """Where the network lives."""
        return next(self.network.parameters()).device

    def box(self, item: int | str = 0) -> Box:
        """The `Box` of ``item`` (its network frame)."""
        return Box.from_dict(self.items[self.item_index(item)]["box"])

    def table(self, item: int | str = 0) -> AtomTable:
        """The stored Eq. 1 inputs of ``item``."""
        if self.atoms is None:
            raise MolfieldError("This model stores no atoms: pass the molecule instead.")
        return self.atoms.table(self.item_index(item), self.channels)

    def __repr__(self) -> str:
        return (
            f"FittedModel(items={self.n_items}, channels={list(self.channels)}, "
            f"width={self.config.width}, depth={self.config.depth}, "
            f"latent_dim={self.config.latent_dim}, train_resolution={self.train_resolution})"
        )
