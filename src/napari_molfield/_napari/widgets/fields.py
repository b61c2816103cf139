"""The Fields widget: resample the selected molecule with other channels, β, resolution."""

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

from ..layers import FieldParams, field_layers, sample_molecule
from ..workers import JobRunner
from .common import (
    group_layers,
    molecule_choices,
    molecule_groups,
    replace_group_layers,
    wrapping_label,
)

if TYPE_CHECKING:
    import napari


class FieldsWidget(Container):
    """Channels, β, resolution, padding, ligand/protein split and hydrogens for one molecule."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        from ...fields.channels import DEFAULT_CHANNELS
        from ...fields.sample import DEFAULT_BETA

        self.viewer = viewer
        self.molecule = ComboBox(label="molecule", choices=self._molecule_choices)
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
        self.status = wrapping_label(Label(value=""))
        super().__init__(
            widgets=[
                self.molecule, self.channels, self.beta, self.resolution, self.padding,
                self.split, self.hydrogens, self.run, self.status,
            ]
        )
        self.runner = JobRunner()
        self.run.changed.connect(self.resample)
        self.molecule.changed.connect(self._show_params)
        viewer.layers.events.inserted.connect(self._refresh)
        viewer.layers.events.removed.connect(self._refresh)
        self._refresh()
        self._show_params()

    def _molecule_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return molecule_choices(self.viewer)

    def _refresh(self, _event: Any = None) -> None:
        self.molecule.reset_choices()
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
        self.status.value = f"Sampling {params.resolution}³ …"

        def done(result: tuple) -> None:
            fields, mol = result
            replace_group_layers(self.viewer, group, field_layers(fields, mol, params, group))
            self.status.value = (
                f"{len(fields[0].channels)} channels at {params.resolution}³, "
                f"h = {fields[0].spacing:.2f} Å"
            )

        def failed(exc: BaseException) -> None:
            self.status.value = f"Failed: {exc}"

        return self.runner.start(
            sample_molecule, molecule, params, on_return=done, on_error=failed,
            progress={"desc": "Sampling field"},
        )
