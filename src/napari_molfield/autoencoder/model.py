"""The auto-encoder: a 3D conv encoder and a modulated SIREN sharing one latent space, and
`AEModel`, the trained network with everything needed to encode new molecules.

The decoder's layout (`nn.decoders`) follows the encoder: a global latent for an encoder
with a linear head, a latent grid (``"patch"`` by default, or ``"local"``) for an encoder
whose head is a grid of cells (``EncoderConfig.grid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..errors import MolfieldError
from ..fields.box import Box
from ..nn.atom_slots import AtomSlots, SlotConfig, slot_values
from ..nn.config import ModelConfig
from ..nn.decoders import make_decoder
from ..nn.encoder import ConvEncoder, EncoderConfig
from ..nn.items import LatentItems


class AutoEncoder(nn.Module):
    """A :class:`ConvEncoder` and a modulated SIREN sharing one latent space.

    Parameters
    ----------
    encoder, decoder
        The two networks' shapes.
    layout
        The decoder layout for a grid encoder: ``"patch"``, ``"local"`` or ``"slots"``
        (`nn.atom_slots`, with a `SlotConfig`; ignored, and ``"global"``, when the encoder
        gives one vector).
    """

    def __init__(self, encoder: EncoderConfig, decoder: ModelConfig | SlotConfig,
                 layout: str = "patch") -> None:
        super().__init__()
        if encoder.latent_dim != decoder.latent_dim:
            raise MolfieldError(
                f"Encoder latent {encoder.latent_dim} ≠ decoder latent {decoder.latent_dim}."
            )
        if encoder.in_channels != decoder.out_channels:
            raise MolfieldError(
                f"Encoder channels {encoder.in_channels} ≠ decoder channels "
                f"{decoder.out_channels}."
            )
        self.encoder_config = encoder
        self.decoder_config = decoder
        self.layout = layout if encoder.grid else "global"
        if isinstance(decoder, SlotConfig):
            self.layout = "slots"
        if self.layout == "global" and layout not in ("global", "patch"):
            raise MolfieldError(f"A {layout} decoder needs an encoder with a latent grid.")
        self.encoder = ConvEncoder(encoder)
        self.siren = make_decoder(decoder, self.layout, encoder.grid)

    def encode(self, grids: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, L]`` of normalised grids ``[B, C, N, N, N]``."""
        return self.encoder(grids)

    def decode(self, latents: torch.Tensor, coords: torch.Tensor, chunk: int = 32768
               ) -> torch.Tensor:
        """Field ``[B, P, C]`` at unit-frame ``coords`` ``[B, P, 3]`` (or ``[P, 3]``)."""
        if self.layout != "global":
            chunk = min(chunk, 8192)
        mods = self.siren.modulations(latents)
        if isinstance(self.siren, AtomSlots) and not torch.is_grad_enabled():
            return slot_values(self.siren, mods, coords)
        if coords.dim() == 2:
            coords = coords.unsqueeze(0).expand(latents.shape[0], -1, -1)
        if coords.shape[1] <= chunk:
            return self.siren.forward_modulated(coords, mods)
        return torch.cat(
            [self.siren.forward_modulated(coords[:, a : a + chunk], mods)
             for a in range(0, coords.shape[1], chunk)],
            dim=1,
        )

    def forward(self, grids: torch.Tensor, coords: torch.Tensor) -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
        """``(values [B, P, C], latents [B, L])`` for grids and points of the same items."""
        z = self.encode(grids)
        return self.siren(coords, z), z


@dataclass(eq=False)
class AEModel(LatentItems):
    """A trained auto-encoder with everything needed to encode new molecules.

    Attributes
    ----------
    net
        The :class:`AutoEncoder` (encoder + modulated SIREN).
    channels
        Channel names, in order.
    resolution
        Grid edge ``N`` the encoder reads (and PSNR is reported at).
    box_edge
        Edge of the shared box, Å.
    beta
        β of Eq. 1.
    conformer_seed
        Seed of the RDKit embedding of SMILES.
    meta
        JSON-friendly: ``split`` (train/val/test names and seed), ``dataset`` (names,
        SMILES, properties, skipped rows), ``train`` (`TrainConfig`), ``history``,
        ``step``, ``elapsed``, ``evaluation``.
    dataset_latents
        ``[M, L]`` latents of the dataset molecules (same order as ``meta['dataset']``).
    frame
        ``None``: molecules are encoded as they lie in their file (centred only); else the
        recipe of the canonical frame (`frames.FRAME_RECIPE`) every molecule is moved
        into before encoding, so encodings do not depend on the input orientation.
    """

    #: The kind name of the model protocol (`napari_molfield.models`).
    kind: ClassVar[str] = "auto-encoder"
    item_word: ClassVar[str] = "dataset molecule"

    net: AutoEncoder
    channels: tuple[str, ...]
    resolution: int
    box_edge: float
    beta: float
    conformer_seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    dataset_latents: np.ndarray | None = None
    frame: str | None = None

    @property
    def canonical(self) -> bool:
        """Whether molecules are encoded in their canonical frame."""
        return self.frame is not None

    @property
    def latent_dim(self) -> int:
        """Latent length ``L``."""
        return self.net.decoder_config.latent_dim

    @property
    def device(self) -> torch.device:
        """Where the network lives."""
        return next(self.net.parameters()).device

    # The model protocol's items are the molecules of the training dataset, each with the
    # latent the checkpoint stores for it.

    @property
    def item_names(self) -> list[str]:
        """Names of the dataset molecules whose latents the checkpoint holds."""
        if self.dataset_latents is None:
            return []
        names = list((self.meta.get("dataset") or {}).get("names", []))
        n = len(self.dataset_latents)
        return [str(x) for x in names[:n]] + [f"molecule {i}" for i in range(len(names), n)]

    @property
    def n_items(self) -> int:
        """Number of dataset molecules with a stored latent."""
        return 0 if self.dataset_latents is None else len(self.dataset_latents)

    def box(self, item: int | str = 0) -> Box:
        """The shared box, centred at the origin (every molecule is centred in it)."""
        return Box((0.0, 0.0, 0.0), self.box_edge)

    def scale(self, item: int | str = 0) -> np.ndarray | None:
        """``None``: decoded fields stay normalised (a molecule's channel peaks are known
        only when the molecule is)."""
        return None

    def latent(self, item: int | str = 0) -> torch.Tensor:
        """The stored ``[L]`` latent of dataset molecule ``item``."""
        assert self.dataset_latents is not None or self.n_items == 0
        i = self.item_index(item)
        return torch.as_tensor(np.asarray(self.dataset_latents)[i], dtype=torch.float32)


__all__ = ["AEModel", "AutoEncoder"]
