"""Encoding for the widgets (Qt-free): which auto-encoder to use, encode → decode jobs,
the input field on the model's box, display helpers for decoded layers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autoencoder import DEFAULT_REFINE_STEPS
from ..errors import MolfieldError
from .session import AUTOENCODER

if TYPE_CHECKING:
    from ..autoencoder.model import AEModel
    from ..chem.molecule import Molecule
    from ..fields.field import Field

#: Decoded channels empty in the input are still shown above this normalised peak.
HALLUCINATION_PEAK = 0.3
#: Decoded layers start transparent below this fraction of their upper contrast limit, so
#: the decoder's faint ripples over the whole box do not hide the molecule (display only).
NOISE_FLOOR = 0.2


def hide_noise(layers: list[Any]) -> list[Any]:
    """Raise the lower contrast limit of image layer data to ``NOISE_FLOOR`` × the upper."""
    for _, kwargs, kind in layers:
        if kind == "image" and "contrast_limits" in kwargs:
            hi = kwargs["contrast_limits"][1]
            kwargs["contrast_limits"] = (NOISE_FLOOR * hi, hi)
    return layers


def resolve_model(path: str | Path | None) -> tuple[AEModel, str]:
    """The model to use: a checkpoint at ``path``, else the session's, else the shipped one.

    Raises
    ------
    MolfieldError
        For an unreadable checkpoint or a missing shipped model.
    """
    from .. import models
    from ..autoencoder.checkpoint import DEFAULT_MODEL

    if path:
        p = Path(path)
        if AUTOENCODER.model is not None and AUTOENCODER.path == p.resolve():
            return AUTOENCODER.model, p.name
        model = models.load(p)
        if models.kind_of(model) != models.AUTOENCODER:
            raise MolfieldError(f"{p.name} holds an {models.kind_of(model)} model: encoding "
                                "needs an auto-encoder (empty = the shipped one).")
        return model, p.name
    if AUTOENCODER.model is not None:
        return AUTOENCODER.model, AUTOENCODER.label
    return models.load(models.DEFAULT), DEFAULT_MODEL


@dataclass
class EncodeResult:
    """What an encode job hands back to the Qt thread."""

    model: AEModel
    model_label: str
    model_path: str | None
    molecule: Molecule
    latent: np.ndarray
    input: Field
    decoded: Field
    psnr: float
    psnr_occupied: float
    seconds: float
    notes: list[str] = field(default_factory=list)
    zero: float = float("nan")
    zero_occupied: float = float("nan")
    refine_steps: int = 0
    encoder_psnr: float = float("nan")
    encoder_psnr_occupied: float = float("nan")

    def report(self) -> str:
        """PSNR of the refined latent and of the encoder alone, with the zero field's."""
        ref = (f"refined ({self.refine_steps} steps): " if self.refine_steps else "")
        line = (f"{ref}PSNR {self.psnr:.1f} dB (zero field {self.zero:.1f}), occupied "
                f"channels {self.psnr_occupied:.1f} dB (zero field {self.zero_occupied:.1f})")
        if self.refine_steps:
            line += (f"; encoder alone {self.encoder_psnr:.1f} / "
                     f"{self.encoder_psnr_occupied:.1f} dB occupied")
        return line


def model_box_field(model: AEModel, molecule: Molecule, resolution: int
                    ) -> tuple[Field, np.ndarray, np.ndarray, list[str]]:
    """Eq. 1 of ``molecule`` on the model's box, channels and β (Å units).

    Returns the field, the channel peaks (normalisation), the occupied-channel mask and
    notes (elements without a channel).

    Raises
    ------
    MolfieldError
        When none of the molecule's atoms falls in any of the model's channels.
    """
    from ..autoencoder.datasets import unassigned_elements
    from ..autoencoder.inputs import field_inputs
    from ..fields.channels import ChannelSpec
    from ..fields.field import Field
    from ..fields.sample import sample_table

    spec = ChannelSpec.parse(list(model.channels))
    notes = []
    missing = unassigned_elements(molecule.elements, spec)
    if missing and not any(c.other for c in spec.channels):
        notes.append(f"element(s) {', '.join(missing)} have no channel in this model: ignored")
    inp = field_inputs([molecule], list(model.channels), model.box_edge, model.beta)
    if not inp.occupied[0].any():
        raise MolfieldError(
            f"{molecule.name}: none of its elements ({', '.join(sorted(set(molecule.elements)))})"
            f" is in the model's channels ({', '.join(model.channels)})."
        )
    box = inp.boxes[0]
    values = sample_table(inp.tables[0], box, resolution, beta=model.beta)
    meta = {"beta": model.beta, "channels": list(model.channels), "resolution": resolution,
            "box": box.to_dict(), "source": "encode input"}
    f = Field(values, box.origin(resolution), box.spacing(resolution), tuple(model.channels),
              box, meta)
    return f, inp.scales[0], inp.occupied[0], notes


def run_encode(path: str | None, source: Molecule | str, resolution: int,
               refine_steps: int = DEFAULT_REFINE_STEPS) -> EncodeResult:
    """Encode one molecule (or SMILES), refine its latent ``refine_steps`` steps on the
    molecule's own field (0: the encoder alone) and decode it; runs in a worker thread.

    A model with a canonical frame encodes the molecule in that frame; the decoded field
    is evaluated at the user's grid points mapped into it, so it overlays the input.
    Notes about the molecule (elements without a channel …) end up in ``notes``.

    Raises
    ------
    MolfieldError
        For a bad SMILES, a molecule larger than the model's box, channels that do not
        fit, or an unreadable checkpoint.
    """
    import warnings

    from ..autoencoder.encode import evaluate_molecules
    from ..autoencoder.placement import decode_placed, placement
    from ..chem.smiles import from_smiles

    t0 = time.perf_counter()
    model, label = resolve_model(path)
    if isinstance(source, str):
        smiles = source.strip()
        if not smiles:
            raise MolfieldError("Type a SMILES first (or choose a molecule in the viewer).")
        molecule = from_smiles(smiles, seed=model.conformer_seed)
    else:
        molecule = source.conformer(0) if source.n_conformers > 1 else source
    notes = []
    if source is not molecule and not isinstance(source, str):
        notes.append(f"conformer 1 of {source.n_conformers}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        alone = evaluate_molecules(model, [molecule])  # checks the size against the box first
    notes += [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    steps = max(0, int(refine_steps))
    ev = evaluate_molecules(model, [molecule], refine_steps=steps) if steps else alone
    truth, scale, occupied, more = model_box_field(model, molecule, resolution)
    notes += [n for n in more if not any(n.split(" have ")[0] in m for m in notes)]
    latent = ev["latents"][0]
    decoded = decode_placed(model, latent, placement(model, molecule), resolution)
    keep = [c for c in range(len(model.channels))
            if occupied[c] or decoded.values[c].max() > HALLUCINATION_PEAK * scale[c]]
    decoded = subset_channels(decoded, keep)
    per = ev["per_molecule"]
    return EncodeResult(model, label, path, molecule, latent, truth, decoded,
                        float(ev["psnr"]), float(ev["psnr_occupied"]),
                        time.perf_counter() - t0, notes, zero=float(per["psnr_zero"][0]),
                        zero_occupied=float(per["psnr_zero_occupied"][0]), refine_steps=steps,
                        encoder_psnr=float(alone["psnr"]),
                        encoder_psnr_occupied=float(alone["psnr_occupied"]))


def recover_encoded_atoms(r: EncodeResult, group: str, label: str) -> tuple[Any, Any]:
    """Atoms of an encoded molecule, refined on the network in the molecule's own frame
    with its own channel scales, and their layer data (a worker's job)."""
    from ..atoms.models import atoms_in_place
    from .layers import recovered_layer

    result = atoms_in_place(r.model, r.latent, r.molecule)
    return result, recovered_layer(result, group, label)


def subset_channels(f: Field, keep: list[int]) -> Field:
    """The channels ``keep`` (indices) of ``f``, same grid."""
    return type(f)(f.values[keep], f.origin, f.spacing, tuple(f.channels[c] for c in keep),
                   f.box, dict(f.meta))
