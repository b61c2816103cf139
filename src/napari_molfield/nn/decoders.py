"""The decoders a latent can steer, by layout, and what the evaluators need to know of them.

* ``"global"`` — :class:`~.siren.ModulatedSiren`: one latent vector per item.
* ``"local"`` — :class:`~.local_siren.LocalSiren`: a ``G³`` grid of vectors blended in
  space into per-point phase shifts.
* ``"patch"`` — :class:`~.patch_siren.PatchSiren`: a ``G³`` grid of vectors, each drawing
  its own neighbourhood (local implicit grid).
* ``"slots"`` — :class:`~.atom_slots.AtomSlots`: a ``G³`` grid of atom slots drawn by
  Eq. 1 itself (no weights; configured by a `SlotConfig`).

All three take ``(coords [B, P, 3], latents [B, L])`` and have ``modulations(latents)`` and
``forward_modulated(coords, mods)``; only the global one can fold a latent into its
weights (`fast_eval`), the local ones say ``local = True``.
"""

from __future__ import annotations

from typing import TypeAlias

from torch import nn

from ..errors import MolfieldError
from .atom_slots import AtomSlots, SlotConfig
from .config import ModelConfig
from .local_siren import LocalSiren
from .patch_siren import PatchSiren
from .siren import ModulatedSiren

#: Decoder layouts, in the order of the module docstring.
LAYOUTS = ("global", "local", "patch", "slots")

#: Any decoder a latent steers.
FieldDecoder: TypeAlias = ModulatedSiren | LocalSiren | PatchSiren | AtomSlots


def make_decoder(config: ModelConfig | SlotConfig, layout: str = "global", grid: int = 0
                 ) -> FieldDecoder:
    """The decoder of ``layout`` (``grid`` nodes per edge for the local layouts)."""
    if isinstance(config, SlotConfig) or layout == "slots":
        if not (isinstance(config, SlotConfig) and layout == "slots"
                and grid in (0, config.grid)):
            raise MolfieldError("An atom-slot decoder takes a slot configuration and a "
                                "latent grid of its own size.")
        return AtomSlots(config)
    if layout == "global":
        return ModulatedSiren(config)
    if layout not in LAYOUTS:
        raise MolfieldError(f"Unknown decoder layout {layout!r}: use one of "
                            f"{', '.join(LAYOUTS)}.")
    if config.modulation != "shift":
        raise MolfieldError(f"A {layout} decoder takes shift modulation, not "
                            f"{config.modulation!r}.")
    try:
        return LocalSiren(config, grid) if layout == "local" else PatchSiren(config, grid)
    except ValueError as e:
        raise MolfieldError(f"A {layout} decoder: {e}") from e


def is_local(network: nn.Module) -> bool:
    """Whether ``network``'s modulations vary in space (nothing to fold into weights)."""
    return bool(getattr(network, "local", False))


def layout_of(network: nn.Module) -> str:
    """The layout name of a decoder."""
    if isinstance(network, AtomSlots):
        return "slots"
    if isinstance(network, PatchSiren):
        return "patch"
    return "local" if isinstance(network, LocalSiren) else "global"


__all__ = ["LAYOUTS", "FieldDecoder", "is_local", "layout_of", "make_decoder"]
