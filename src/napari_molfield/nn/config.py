"""Network settings: the modulated SIREN's shape, and the dict round trip all configs share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import MolfieldError

MODULATIONS = ("mehta", "shift")
OUTPUT_ACTIVATIONS = ("none", "relu", "softplus")


class ConfigMixin:
    """``to_dict``/``from_dict`` for every config dataclass (unknown keys are an error)."""

    _kind = "config"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Any:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        return cls(**_known(cls, d, cls._kind))


@dataclass(frozen=True)
class ModelConfig(ConfigMixin):
    """Shape of a :class:`~napari_molfield.nn.siren.ModulatedSiren`.

    Parameters
    ----------
    out_channels
        Number of field channels ``C``.
    latent_dim
        Length ``L`` of one item's latent code.
    width
        Units of every sine layer.
    depth
        Number of sine layers (the first one included).
    in_dim
        Coordinate dimension (3).
    w0_first, w0_hidden
        Frequency factors of the first and the later sine layers.
    modulation
        ``"mehta"``: a ReLU modulator network turns the latent into a multiplicative
        amplitude per sine layer (Mehta et al. 2021). ``"shift"``: a linear map turns the
        latent into an additive phase shift inside every sine (functa style).
    output_activation
        ``"none"`` (linear output), ``"relu"`` or ``"softplus"``.
    """

    _kind = "model"

    out_channels: int = 1
    latent_dim: int = 32
    width: int = 128
    depth: int = 4
    in_dim: int = 3
    w0_first: float = 30.0
    w0_hidden: float = 30.0
    modulation: str = "mehta"
    output_activation: str = "none"

    def __post_init__(self) -> None:
        if self.modulation not in MODULATIONS:
            raise MolfieldError(
                f"Unknown modulation {self.modulation!r}: use one of {', '.join(MODULATIONS)}."
            )
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise MolfieldError(
                f"Unknown output activation {self.output_activation!r}: use one of "
                f"{', '.join(OUTPUT_ACTIVATIONS)}."
            )
        for name in ("out_channels", "latent_dim", "width", "depth", "in_dim"):
            if int(getattr(self, name)) < 1:
                raise MolfieldError(f"The model's {name} must be at least 1.")


def split_overrides(overrides: dict[str, Any], model_cls: type, fit_cls: type, what: str
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort keyword overrides into the fields of ``model_cls`` and ``fit_cls`` (dataclasses);
    an unknown name is a `MolfieldError` naming ``what`` (e.g. ``"fit"``)."""
    mnames = {f.name for f in fields(model_cls)}
    fnames = {f.name for f in fields(fit_cls)}
    model, fit = {}, {}
    for k, v in overrides.items():
        if k in mnames:
            model[k] = v
        elif k in fnames:
            fit[k] = v
        else:
            raise MolfieldError(f"Unknown {what} setting {k!r}.")
    return model, fit


def pick_preset(presets: dict[str, Any], name: str) -> Any:
    """``presets[name]``, or a `MolfieldError` naming the choices."""
    try:
        return presets[name]
    except KeyError:
        raise MolfieldError(
            f"Unknown preset {name!r}: use one of {', '.join(presets)}."
        ) from None


def _known(cls: type, d: dict[str, Any], what: str) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    bad = sorted(set(d) - names)
    if bad:
        raise MolfieldError(f"Unknown {what} setting(s) {', '.join(bad)} in the configuration.")
    return dict(d)


__all__ = [
    "MODULATIONS",
    "OUTPUT_ACTIVATIONS",
    "ConfigMixin",
    "ModelConfig",
    "pick_preset",
    "split_overrides",
]
