"""Neural fields: the modulated SIREN, its settings, fitted models and checkpoints."""

from __future__ import annotations

from .checkpoint import load_model, save_model
from .config import PRESETS, FitConfig, ModelConfig, get_preset
from .model import AtomPack, FittedModel
from .siren import ModulatedSiren, pick_device

__all__ = [
    "PRESETS",
    "AtomPack",
    "FitConfig",
    "FittedModel",
    "ModelConfig",
    "ModulatedSiren",
    "get_preset",
    "load_model",
    "pick_device",
    "save_model",
]
