"""One `fit` for molecules, conformers, ensembles and maps: the same automatic model choice
in notebooks, ``molfield fit`` and the napari Fit widget.

``model="auto"`` fits the deformable model when every input is a molecule, they all hold
the same atoms and there are at least two conformers (an NMR ensemble, MD frames, two
crystal states: interpolation then moves density); otherwise the modulated SIREN
auto-decoder (`deform.choice.wants_deform` states the rule).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from ..deform.choice import MODEL_KINDS as MODEL_CHOICES  # "auto", "siren", "deform"
from ..logs import get_logger
from .kinds import AUTODECODER, DEFORMABLE

log = get_logger(__name__)


def _as_list(inputs: Any) -> list[Any]:
    return list(inputs) if isinstance(inputs, Sequence) and not isinstance(inputs, str) \
        else [inputs]


def choose_kind(inputs: Any, model: str = "auto") -> str:
    """`AUTODECODER` or `DEFORMABLE` for these inputs and ``model`` choice (one
    `MolfieldError` sentence when ``"deform"`` cannot fit them)."""
    from ..deform.choice import wants_deform

    return DEFORMABLE if wants_deform(model, _as_list(inputs)) else AUTODECODER


def fit(inputs: Any, *, model: str = "auto", **options: Any) -> Generator[Any, None, Any]:
    """Fit the model ``model`` chooses for ``inputs`` (a generator, like each kind's fit).

    Parameters
    ----------
    inputs
        Molecules (or SMILES, files already read), conformer ensembles, or density maps.
    model
        ``"auto"``, ``"siren"`` or ``"deform"`` (see the module docstring).
    options
        The fit's keyword arguments, shared by both kinds: ``channels``, ``resolution``,
        ``beta``, ``preset``, ``steps``, ``time_budget``, ``seed``, ``device``,
        ``add_hydrogens``, ``split``, ``padding`` and config overrides.

    Yields
    ------
    The kind's progress records, each with ``step``, ``loss``, ``psnr``, ``elapsed`` and the
    live ``model``; returns the fitted model.
    """
    kind = choose_kind(inputs, model)
    log.debug("fit: model=%s → %s", model, kind)
    if kind == DEFORMABLE:
        from ..deform.fit import fit_deform

        return (yield from fit_deform(_as_list(inputs), **options))
    from ..autodecoder.fit import fit as fit_items

    return (yield from fit_items(inputs, **options))


def fit_model(inputs: Any, *, model: str = "auto", **options: Any) -> Any:
    """`fit` run to the end; the fitted model."""
    gen = fit(inputs, model=model, **options)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


__all__ = ["MODEL_CHOICES", "choose_kind", "fit", "fit_model"]
