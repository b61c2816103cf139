"""The Encode widget: a molecule through the field auto-encoder, input beside decoded.

A molecule already in the viewer, or a SMILES typed in the widget, is encoded with the
shipped model (or a loaded checkpoint); its input field (Eq. 1 on the model's own box,
channels and β) and the decoded field are shown in the same Å frame, with the PSNR of
encode → decode at the model's grid. A model with a canonical frame encodes the molecule
moved into that frame (so the file's orientation does not matter) and the decoded field
is evaluated at the user's points mapped into it, so it lies on the atoms as they are.
Notes about the molecule (elements without a channel of the model) appear in the status
line. The model in use and the last encoded
latent live in :data:`AUTOENCODER`, which the Latent map widget listens to.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from magicgui.widgets import ComboBox, Container, FileEdit, Label, LineEdit, PushButton, SpinBox
from napari.utils.notifications import show_error

from ...autoencoder import DEFAULT_REFINE_STEPS
from ...errors import MolfieldError
from ..encoding import EncodeResult, hide_noise, recover_encoded_atoms, run_encode
from ..layers import FieldParams, atoms_layer, field_layers
from ..session import AUTOENCODER, Encoded
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    hidden_note,
    molecule_choices,
    molecule_groups,
    replace_group_layers,
    show_result,
    wrapping_label,
)

if TYPE_CHECKING:
    import napari

    from ...chem.molecule import Molecule

#: ComboBox value meaning "embed the SMILES typed in the widget".
FROM_SMILES = "__smiles__"


class EncodeWidget(ScrollingDock, Container):
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
        self.refine = SpinBox(label="refine steps", value=DEFAULT_REFINE_STEPS, min=0,
                              max=5000, step=50)
        self.refine.tooltip = ("After encoding, optimise the latent on the molecule's own field "
                               "(decoder frozen); 0 = the encoder alone")
        self.run = PushButton(text="Encode")
        self.atoms_button = PushButton(text="Atoms")
        self.atoms_button.tooltip = "Recover atoms from the decoded field (points layer)"
        self.status = Label(value="")
        self.psnr = Label(value="")
        wrapping_label(self.status)
        wrapping_label(self.psnr, lines=4)  # refined and encoder-alone numbers, baselines
        super().__init__(widgets=[self.molecule, self.smiles, self.checkpoint, self.resolution,
                                  self.refine, self.run, self.atoms_button, self.status, self.psnr],
                         scrollable=True)
        self.pack_top()
        self.runner = JobRunner()
        self.last: EncodeResult | None = None
        self.run.changed.connect(self.encode)
        self.atoms_button.changed.connect(lambda _=None: self.recover())
        self.recovered: Any = None
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
            run_encode, self._checkpoint_path(), source, n, int(self.refine.value),
            on_return=lambda r: self._show(group, r),
            on_error=lambda exc: self._fail(exc, notify=False),
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
            if kwargs["metadata"]["molfield"]["role"] == "input":
                kwargs["visible"] = False  # what the decoded field covers: one click away
        kept = replace_group_layers(self.viewer, group, layers, roles=roles)
        hidden = show_result(self.viewer, [ly for ly in kept if ly.visible])
        self._hide_older_atoms(group)
        extra = f" ({'; '.join(r.notes)})" if r.notes else ""
        frame = " (canonical frame)" if r.model.canonical else ""
        self.status.value = (f"{name}: encoded with {r.model_label}{frame} in "
                             f"{r.seconds:.1f} s{extra}{hidden_note(hidden)}")
        self.psnr.value = f"{r.report()} ({r.model.resolution}³ grid)"
        AUTOENCODER.set_encoded(Encoded(name, mol.smiles, r.latent))

    def _hide_older_atoms(self, group: str) -> None:
        """Hide the atoms of earlier encodes (superseded by this one)."""
        for layer in self.viewer.layers:
            info = layer.metadata.get("molfield", {})
            if (info.get("role") == "atoms" and info.get("group") != group
                    and str(info.get("group", "")).startswith("encode")):
                layer.visible = False

    def recover(self) -> Any:
        """Atoms of the last decoded field (in a worker), as one points layer that the next
        recovery replaces."""
        if self.last is None:
            self.status.value = "Encode a molecule first, then recover its atoms."
            return None
        r = self.last
        name = r.molecule.name if r.molecule.name else (r.molecule.smiles or "molecule")
        group, label = f"encode-atoms:{name}", f"{name} recovered"
        self.status.value = "Recovering atoms …"

        def done(out: tuple[Any, Any]) -> None:
            self.recovered, layer = out
            replace_group_layers(self.viewer, group, [layer], roles=("atoms",))
            self.status.value = f"{self.recovered.summary()} ({self.recovered.seconds:.1f} s)"

        return self.runner.start(recover_encoded_atoms, r, group, label, on_return=done,
                                 on_error=lambda exc: self._fail(exc, notify=False))
