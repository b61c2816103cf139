"""The Encode widget: a molecule through the field auto-encoder, input beside decoded.

A molecule already in the viewer, or a SMILES typed in the widget, is encoded with the
shipped FreeSolv model (or a loaded checkpoint); its input field (Eq. 1 on the model's
own box, channels and β) and the decoded field are shown in the same Å frame, with the
PSNR of encode → decode at the model's grid. The model in use and the last encoded
latent live in :data:`AUTOENCODER`, which the Latent map widget listens to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import ComboBox, Container, FileEdit, Label, LineEdit, PushButton, SpinBox
from napari.utils.notifications import show_error
from psygnal import Signal

from ...errors import MolfieldError
from ..layers import FieldParams, atoms_layer, field_layers
from ..workers import JobRunner
from .common import molecule_choices, molecule_groups, replace_group_layers, wrapping_label

if TYPE_CHECKING:
    import napari

    from ...chem.molecule import Molecule
    from ...fields.field import Field
    from ...train import AEModel

#: ComboBox value meaning "embed the SMILES typed in the widget".
FROM_SMILES = "__smiles__"
#: Decoded channels empty in the input are still shown above this normalised peak.
HALLUCINATION_PEAK = 0.3
#: Decoded layers start transparent below this fraction of their upper contrast limit, so
#: the decoder's faint ripples over the whole box do not hide the molecule (display only).
NOISE_FLOOR = 0.2


def hide_noise(layers: list) -> list:
    """Raise the lower contrast limit of image layer data to ``NOISE_FLOOR`` × the upper."""
    for _, kwargs, kind in layers:
        if kind == "image" and "contrast_limits" in kwargs:
            hi = kwargs["contrast_limits"][1]
            kwargs["contrast_limits"] = (NOISE_FLOOR * hi, hi)
    return layers


@dataclass
class Encoded:
    """A molecule encoded in this session (what the Latent map marks)."""

    name: str
    smiles: str | None
    latent: np.ndarray


class AutoEncoderSession:
    """The auto-encoder the widgets of this session share, and the last encoded molecule.

    ``model_changed`` fires with the new `AEModel`; ``encoded`` with an :class:`Encoded`.
    """

    model_changed = Signal(object)
    encoded = Signal(object)

    def __init__(self) -> None:
        self.model: AEModel | None = None
        self.label: str = ""
        self.path: Path | None = None
        self.last: Encoded | None = None

    def set_model(self, model: AEModel, label: str, path: str | Path | None = None) -> None:
        """Use ``model`` (called ``label`` in status lines, read from ``path``) from now on."""
        changed = model is not self.model
        self.model, self.label = model, label
        self.path = Path(path).resolve() if path else None
        if changed:
            self.last = None
            self.model_changed.emit(model)

    def set_encoded(self, item: Encoded) -> None:
        """Remember (and announce) the molecule just encoded."""
        self.last = item
        self.encoded.emit(item)

    def reset(self) -> None:
        """Forget the model and the last molecule (tests, a fresh session)."""
        self.model, self.label, self.path, self.last = None, "", None, None


#: The auto-encoder session shared by the Encode and Latent map widgets.
AUTOENCODER = AutoEncoderSession()


def resolve_model(path: str | Path | None) -> tuple[AEModel, str]:
    """The model to use: a checkpoint at ``path``, else the session's, else the shipped one.

    Raises
    ------
    MolfieldError
        For an unreadable checkpoint or a missing shipped model.
    """
    from ...encode import DEFAULT_MODEL, load_autoencoder, load_default_model

    if path:
        p = Path(path)
        if AUTOENCODER.model is not None and AUTOENCODER.path == p.resolve():
            return AUTOENCODER.model, p.name
        return load_autoencoder(p), p.name
    if AUTOENCODER.model is not None:
        return AUTOENCODER.model, AUTOENCODER.label
    return load_default_model(), DEFAULT_MODEL


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
    from ...datasets import field_inputs, unassigned_elements
    from ...fields.channels import ChannelSpec
    from ...fields.field import Field
    from ...fields.sample import sample_table

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


def run_encode(path: str | None, source: Molecule | str, resolution: int) -> EncodeResult:
    """Encode one molecule (or SMILES) and decode it; runs in a worker thread.

    Raises
    ------
    MolfieldError
        For a bad SMILES, a molecule larger than the model's box, channels that do not
        fit, or an unreadable checkpoint.
    """
    from ...chem.smiles import from_smiles
    from ...encode import decode_latent, evaluate_molecules

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
    ev = evaluate_molecules(model, [molecule])  # checks the size against the box first
    truth, scale, occupied, more = model_box_field(model, molecule, resolution)
    notes += more
    latent = ev["latents"][0]
    decoded = decode_latent(model, latent, resolution, centre=truth.box.centre, scale=scale)
    keep = [c for c in range(len(model.channels))
            if occupied[c] or decoded.values[c].max() > HALLUCINATION_PEAK * scale[c]]
    decoded = subset_channels(decoded, keep)
    return EncodeResult(model, label, path, molecule, latent, truth, decoded,
                        float(ev["psnr"]), float(ev["psnr_occupied"]),
                        time.perf_counter() - t0, notes)


def subset_channels(f: Field, keep: list[int]) -> Field:
    """The channels ``keep`` (indices) of ``f``, same grid."""
    return type(f)(f.values[keep], f.origin, f.spacing, tuple(f.channels[c] for c in keep),
                   f.box, dict(f.meta))


class EncodeWidget(Container):
    """Encode a molecule from the viewer or a SMILES; input and decoded fields, PSNR."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self.viewer = viewer
        self.molecule = ComboBox(label="molecule", choices=self._molecule_choices)
        self.smiles = LineEdit(label="SMILES", value="CC(C)Cc1ccc(cc1)C(C)C(=O)O")
        self.smiles.tooltip = "Embedded with RDKit (ETKDGv3 + MMFF94, the model's seed)"
        self.checkpoint = FileEdit(label="model", mode="r", filter="*.safetensors", value="")
        self.checkpoint.tooltip = ("An auto-encoder checkpoint (.safetensors); empty = the "
                                   "shipped FreeSolv model")
        self.resolution = SpinBox(label="display resolution", value=32, min=8, max=256, step=8)
        self.run = PushButton(text="Encode")
        self.status = Label(value="")
        self.psnr = Label(value="")
        for w in (self.status, self.psnr):
            wrapping_label(w)
        super().__init__(widgets=[self.molecule, self.smiles, self.checkpoint, self.resolution,
                                  self.run, self.status, self.psnr])
        self.runner = JobRunner()
        self.last: EncodeResult | None = None
        self.run.changed.connect(self.encode)
        self.smiles.native.returnPressed.connect(self.encode)
        viewer.layers.events.inserted.connect(self._refresh)
        viewer.layers.events.removed.connect(self._refresh)
        self._refresh()

    def _molecule_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return [("SMILES (typed below)", FROM_SMILES), *molecule_choices(self.viewer)]

    def _refresh(self, _event: Any = None) -> None:
        value = self.molecule.value
        self.molecule.reset_choices()
        if value in [g for _, g in self._molecule_choices()]:
            self.molecule.value = value

    def _checkpoint_path(self) -> str | None:
        p = str(self.checkpoint.value or "").strip()
        return p if p and p != "." and Path(p).name else None

    def encode(self, _event: Any = None) -> Any:
        """Encode the chosen molecule (or the SMILES) in a worker."""
        group = self.molecule.value or FROM_SMILES
        if group == FROM_SMILES:
            source: Molecule | str = self.smiles.value
        else:
            atoms = molecule_groups(self.viewer).get(group)
            if atoms is None:
                self.status.value = "That molecule is no longer in the viewer."
                return None
            source = atoms.metadata["molfield"]["molecule"]
        n = int(self.resolution.value)
        self.status.value = "Encoding …"
        self.psnr.value = ""
        return self.runner.start(
            run_encode, self._checkpoint_path(), source, n,
            on_return=lambda r: self._show(group, r),
            on_error=lambda exc: self._fail(exc, notify=False),
            progress={"desc": "Encoding"},
        )

    def _fail(self, exc: BaseException, notify: bool = True) -> None:
        """One status line (and a notification unless the runner already showed one)."""
        msg = str(exc) if isinstance(exc, MolfieldError) else f"{type(exc).__name__}: {exc}"
        self.status.value = f"⚠ {msg}"
        self.psnr.value = ""
        if notify:
            show_error(msg)

    def _show(self, group: str, r: EncodeResult) -> None:
        self.last = r
        AUTOENCODER.set_model(r.model, r.model_label, r.model_path)
        mol = r.molecule
        name = mol.name if group != FROM_SMILES else (mol.smiles or mol.name)
        params = FieldParams(resolution=r.decoded.resolution[0],
                             channels=",".join(r.model.channels))
        roles: tuple[str, ...] = ("input", "decoded")
        layers = []
        if group == FROM_SMILES:  # a new molecule in the viewer, with its atoms
            group = f"encode:{mol.smiles}"
            roles += ("atoms",)
            layers.append(atoms_layer(mol, group, name))
        layers += field_layers([r.input], None, params, group, name=f"{name} input",
                               role="input")
        layers += hide_noise(field_layers([r.decoded], None, params, group,
                                          name=f"{name} decoded", role="decoded"))
        for _, kwargs, _ in layers:
            kwargs["metadata"]["molfield"]["encoder"] = r.model_label
        replace_group_layers(self.viewer, group, layers, roles=roles)
        extra = f" ({'; '.join(r.notes)})" if r.notes else ""
        self.status.value = f"{name}: encoded with {r.model_label} in {r.seconds:.1f} s{extra}"
        self.psnr.value = (f"PSNR {r.psnr:.1f} dB all channels, {r.psnr_occupied:.1f} dB "
                           f"occupied ({r.model.resolution}³ grid)")
        AUTOENCODER.set_encoded(Encoded(name, mol.smiles, r.latent))
