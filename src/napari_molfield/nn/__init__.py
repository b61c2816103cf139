"""Network building blocks: the modulated SIREN, the 3D conv encoder, their configs,
devices, learning-rate schedules and the checkpoint container. No data, no training loops.
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
