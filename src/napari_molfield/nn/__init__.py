"""Network building blocks: the modulated SIREN, the 3D conv encoder, their configs,
devices, learning-rate schedules, the checkpoint container, and the one training loop of
the fits (`loop`: Adam, schedule, divergence, snapshots; `batches`: minibatches and the
train-grid PSNR from `fields.pools`). No molecules, no model kinds.
"""

from __future__ import annotations

from .config import ConfigMixin, ModelConfig
from .device import pick_device
from .encoder import ConvEncoder, EncoderConfig
from .siren import ModulatedSiren

__all__ = [
    "ConfigMixin",
    "ConvEncoder",
    "EncoderConfig",
    "ModelConfig",
    "ModulatedSiren",
    "pick_device",
]
