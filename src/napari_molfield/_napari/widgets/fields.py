"""The Fields widget: resample the selected molecule with other channels, β, resolution,
or another ligand (one of the hetero residues of its file).

Sampling and the layer data are computed in a worker; the Qt thread only swaps the new
arrays into the molecule's layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSpinBox,
    Label,
    LineEdit,
    PushButton,
    SpinBox,
)

from ..layers import FieldParams, LayerData, field_layers, sample_molecule
from ..ligands import AS_READ, ligand_choices, resplit
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    enable_scale_bar,
    group_layers,
    hidden_note,
    molecule_choices,
    molecule_groups,
    replace_group_layers,
    show_result,
    wrapping_label,
)

if TYPE_CHECKING:
    import napari


class FieldsWidget(ScrollingDock, Container):
    """Channels, β, resolution, padding, ligand/protein split and hydrogens for one molecule."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        from ...fields.channels import DEFAULT_CHANNELS
        from ...fields.sample import DEFAULT_BETA

        self.viewer = viewer
        self.molecule = ComboBox(label="molecule", choices=self._molecule_choices)
        self.ligand = ComboBox(label="ligand", choices=self._ligand_choices)
        self.ligand.tooltip = ("The hetero residue that forms the ligand of a complex "
                               "(the ligand: channels and the split use it)")
        self.channels = LineEdit(label="channels", value=",".join(DEFAULT_CHANNELS))
        self.channels.tooltip = (
            "Comma-separated: elements (C), groups (C+N), other, all, "
            "electronegativity, ws_density; prefix ligand:/protein: for one part."
        )
        self.beta = FloatSpinBox(label="β", value=DEFAULT_BETA, min=0.1, max=20.0, step=0.1)
        self.resolution = SpinBox(label="resolution", value=64, min=8, max=512, step=8)
        self.padding = FloatSpinBox(label="padding (Å)", value=4.0, min=0.0, max=30.0, step=0.5)
        self.split = CheckBox(label="split ligand / protein", value=False)
        self.hydrogens = CheckBox(label="add hydrogens", value=False)
        self.run = PushButton(text="Resample")
        self.status = wrapping_label(Label(value=""), lines=4)
        super().__init__(
            widgets=[
                self.molecule, self.ligand, self.channels, self.beta, self.resolution,
                self.padding, self.split, self.hydrogens, self.run, self.status,
            ], scrollable=True,
        )
        self.pack_top()
        self.runner = JobRunner()
        self.run.changed.connect(self.resample)
        self.molecule.changed.connect(self._show_params)
        self.molecule.changed.connect(lambda _=None: self.ligand.reset_choices())
        viewer.layers.events.inserted.connect(self._refresh)
        viewer.layers.events.removed.connect(self._refresh)
        enable_scale_bar(viewer)
        self._refresh()
        self._show_params()

    def _molecule_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return molecule_choices(self.viewer)

    def current_molecule(self) -> Any:
        """The `Molecule` chosen in the combo box (None when there is none)."""
        atoms = molecule_groups(self.viewer).get(self.molecule.value)
        return atoms.metadata["molfield"]["molecule"] if atoms is not None else None

    def _ligand_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return ligand_choices(self.current_molecule())

    def _refresh(self, _event: Any = None) -> None:
        self.molecule.reset_choices()
        self.ligand.reset_choices()
        sel = self.viewer.layers.selection.active
        info = getattr(sel, "metadata", {}).get("molfield") if sel is not None else None
        if info and info["group"] in [g for _, g in self._molecule_choices()]:
            self.molecule.value = info["group"]

    def _show_params(self, _event: Any = None) -> None:
        """Show the parameters the chosen molecule was last sampled with."""
        group = self.molecule.value
        fields = group_layers(self.viewer, group, "field") if group else []
        if not fields:
            return
        p: FieldParams = fields[0].metadata["molfield"]["params"]
        self.channels.value = p.channels
        self.resolution.value = p.resolution
        self.padding.value = p.padding
        self.split.value = p.split
        self.hydrogens.value = p.add_hydrogens
        if p.beta is not None:
            self.beta.value = p.beta

    def params(self) -> FieldParams:
        """The parameters currently set in the widget."""
        return FieldParams(
            resolution=int(self.resolution.value),
            channels=self.channels.value,
            beta=float(self.beta.value),
            padding=float(self.padding.value),
            split=bool(self.split.value),
            add_hydrogens=bool(self.hydrogens.value),
        )

    def resample(self) -> Any:
        """Resample the chosen molecule in a worker; its layers are updated in place."""
        group = self.molecule.value
        if group is None:
            self.status.value = "Open a molecule first (File ▸ Open or Open Sample)."
            return None
        atoms = molecule_groups(self.viewer).get(group)
        if atoms is None:
            self.status.value = "That molecule is no longer in the viewer."
            return None
        molecule = atoms.metadata["molfield"]["molecule"]
        params = self.params()
        ligand = self.ligand.value or AS_READ
        self.status.value = f"Sampling {params.resolution}³ …"

        def done(result: tuple[list[LayerData], str]) -> None:
            layers, text = result
            kept = replace_group_layers(self.viewer, group, layers)
            hidden = show_result(self.viewer, kept)
            self.status.value = text + hidden_note(hidden)
            self.ligand.reset_choices()

        def failed(exc: BaseException) -> None:
            self.status.value = f"Failed: {exc}"

        return self.runner.submit(
            sample_layers, molecule, params, group, ligand, on_return=done, on_error=failed,
        )


def sample_layers(molecule: Any, params: FieldParams, group: str,
                  ligand: str = AS_READ) -> tuple[list[LayerData], str]:
    """Re-split (when a ligand is chosen), sample and build the layer data (a worker)."""
    if ligand != AS_READ:
        molecule = resplit(molecule, ligand)
    fields, mol = sample_molecule(molecule, params)
    layers = field_layers(fields, mol, params, group)
    lig = f", ligand {', '.join(mol.ligand_residues)}" if mol.ligand_residues else ""
    text = (f"{len(layers) - 1} channels with atoms at {params.resolution}³, "
            f"h = {fields[0].spacing:.2f} Å{lig}")
    return layers, text
