"""Turn molecules and fields into napari layer data (no Qt, no torch).

Every layer made here carries ``metadata["molfield"]`` with a ``group`` id shared by the
layers of one molecule, its ``role`` (``"field"`` or ``"atoms"``) and, for atoms, the
`Molecule` itself, so widgets can find and resample a molecule's layers in place.

Display rules: every layer is in Å (``units``), a channel's contrast runs to
`DISPLAY_SATURATION` × its *analytic* peak (`channel_peaks`, 1 on the normalised scale of
decoded fields), so an empty or nearly empty channel stays dark instead of being
stretched to its own noise, and channels with no atoms get no layer at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import DEFAULT_CHANNELS, ChannelSpec
from ..fields.colours import DISPLAY_SATURATION, channel_colour, element_color_safe
from ..fields.field import Field
from ..fields.sample import DEFAULT_BETA
from .surfaces import preview_surface, with_surfaces

LayerData = tuple[Any, dict[str, Any], str]

#: Atoms layers of larger molecules start hidden: thousands of points hide the field.
MAX_VISIBLE_ATOMS = 1000
#: Field voxels above which the reader samples fewer voxels for long ensembles.
MAX_ENSEMBLE_VOXELS = 40_000_000
#: Units of the three spatial axes of every layer the plugin makes.
ANGSTROM = ("angstrom",) * 3
#: Roles of field layers drawn as surfaces on software OpenGL (`display`): not errors.
SURFACE_ROLES = ("field", "preview", "decoded", "input", "interpolated")
#: Channel added to a complex so its ligand stands out (the 1IEP demo's ``ligand:all``).
LIGAND_CHANNEL = "ligand:all"


def layer_units(ndim: int) -> tuple[str, ...]:
    """Å on the three spatial axes; a leading conformer axis counts in steps (pixels)."""
    return ("pixel",) * (ndim - 3) + ANGSTROM


def is_complex(molecule: Molecule) -> bool:
    """Whether ``molecule`` has a ligand and other atoms (a protein–ligand complex)."""
    lig = molecule.ligand_mask
    return bool(lig.any() and not lig.all())


@dataclass
class FieldParams:
    """What the reader and the Fields widget need to sample a molecule."""

    resolution: int = 64
    channels: str = ",".join(DEFAULT_CHANNELS)
    beta: float | None = None
    padding: float = 4.0
    split: bool = False
    add_hydrogens: bool = False
    drop_empty: bool = True

    def spec(self) -> ChannelSpec:
        """The parsed channel specification."""
        return ChannelSpec.parse(self.channels, split=self.split)


def channel_colormap(name: str):
    """A transparent-to-colour napari `Colormap` for additive volume rendering."""
    from napari.utils.colormaps import Colormap

    r, g, b = channel_colour(name)
    return Colormap(
        colors=np.array([[0, 0, 0, 0], [r, g, b, 1]], dtype=np.float32),
        name=f"molfield {name}",
        display_name=f"molfield {name}",
    )


def analytic_peaks(molecule: Molecule, spec: ChannelSpec, beta: float | None) -> np.ndarray:
    """Per-channel analytic peak of Eq. 1 (max over conformers; 0 for empty channels)."""
    from ..fields.sample import DEFAULT_BETA, channel_peaks

    beta = DEFAULT_BETA if beta is None else beta
    peaks = np.zeros(len(spec))
    for k in range(molecule.n_conformers):
        table = spec.assign(molecule, k)
        used = np.zeros(len(spec), bool)
        used[np.unique(table.used().channel)] = True
        peaks = np.maximum(peaks, np.where(used, channel_peaks(table, beta), 0.0))
    return peaks


def sample_molecule(molecule: Molecule, params: FieldParams) -> tuple[list[Field], Molecule]:
    """Sample every conformer of ``molecule`` on one shared box.

    Returns the fields (one per conformer) and the molecule actually sampled (with
    hydrogens when they were added).
    """
    from ..fields.sample import DEFAULT_BETA, sample_field

    if params.add_hydrogens and not molecule.has_hydrogens:
        from ..chem.hydrogens import add_hydrogens

        molecule = add_hydrogens(molecule)
    spec = params.spec()
    box = Box.around(molecule.coords, padding=params.padding)
    beta = DEFAULT_BETA if params.beta is None else params.beta
    fields = [
        sample_field(molecule, params.resolution, spec, beta=beta, box=box, conformer=k)
        for k in range(molecule.n_conformers)
    ]
    return fields, molecule


def molecule_layers(
    molecule: Molecule, params: FieldParams | None = None, group: str | None = None
) -> list[LayerData]:
    """Field image layers (one per channel) and an atoms points layer for ``molecule``.

    Conformers become the first (slider) axis when there are several.
    """
    params = params or FieldParams()
    fields, molecule = sample_molecule(molecule, params)
    return field_layers(fields, molecule, params, group)


def field_layers(
    fields: list[Field],
    molecule: Molecule | None,
    params: FieldParams,
    group: str | None = None,
    name: str | None = None,
    role: str = "field",
    peaks: Any = None,
) -> list[LayerData]:
    """Layer data for fields (one per conformer, on one grid) and their molecule.

    ``role`` tags the image layers (``"field"`` for sampled, ``"decoded"``, ``"error"``
    …) so widgets can tell them apart; the atoms layer is added when ``molecule`` is given.
    ``peaks`` (``[C]``) sets each channel's contrast to `DISPLAY_SATURATION` × its peak;
    with ``drop_empty`` a channel whose peak is 0 gets no layer. By default the peaks are
    the analytic ones of ``molecule`` (sampled fields), else each channel's maximum.
    """
    group = group or uuid.uuid4().hex
    f0 = fields[0]
    stacked = len(fields) > 1
    values = np.stack([f.values for f in fields], axis=1) if stacked else f0.values
    scale = (1.0, *[f0.spacing] * 3) if stacked else (f0.spacing,) * 3
    translate = (0.0, *f0.origin) if stacked else tuple(f0.origin)
    if name is None:
        name = molecule.name if molecule is not None else f0.meta.get("name", "field")
    common = {
        "group": group,
        "params": params,
        "box": f0.box.to_dict() if f0.box is not None else None,
        "beta": f0.meta.get("beta"),
        "source": f0.meta.get("source") or (molecule.source if molecule else None),
        "resolution": f0.resolution[0],
    }
    if peaks is None and molecule is not None and role == "field":
        try:
            peaks = analytic_peaks(molecule, params.spec(), f0.meta.get("beta"))
        except Exception:  # a spec the molecule no longer matches: fall back to the data
            peaks = None
    if peaks is None:
        peaks = [float(values[c].max()) for c in range(len(f0.channels))]
    units = layer_units(values.ndim - 1)
    beta = f0.meta.get("beta") or DEFAULT_BETA
    ligand_residues = list(molecule.ligand_residues) if molecule is not None else []
    layers: list[LayerData] = []
    for c, ch in enumerate(f0.channels):
        data = values[c]
        peak = float(peaks[c])
        if params.drop_empty and not peak > 0:
            continue
        info = {**common, "role": role, "channel": ch}
        if role in SURFACE_ROLES and peak > 0:  # the van der Waals surface of Eq. 1
            info["surface_level"] = peak * float(np.exp(-beta))
        if ch.startswith("ligand:") and ligand_residues:
            info["ligand_residues"] = ligand_residues
        layers.append(
            (
                data,
                {
                    "name": f"{name} {ch}",
                    "scale": scale,
                    "translate": translate,
                    "colormap": channel_colormap(ch),
                    "blending": "additive",
                    "rendering": "attenuated_mip",
                    "attenuation": 0.3,
                    "contrast_limits": (0.0, DISPLAY_SATURATION * peak if peak > 0 else 1.0),
                    "units": units,
                    "metadata": {"molfield": info},
                },
                "image",
            )
        )
    layers = with_surfaces(layers)
    if molecule is not None:
        layers.append(atoms_layer(molecule, group, name))
    return layers


def atoms_layer(molecule: Molecule, group: str, name: str | None = None) -> LayerData:
    """A points layer of atom centres coloured by element, with a features table."""
    k, a = molecule.n_conformers, molecule.n_atoms
    if k > 1:
        idx = np.repeat(np.arange(k, dtype=float), a)[:, None]
        coords = np.concatenate([idx, molecule.coords.reshape(-1, 3)], axis=1)
    else:
        coords = molecule.coords[0]
    colours = np.array([(*element_color_safe(e), 1.0) for e in molecule.elements])
    features = {
        "element": molecule.elements.astype(str),
        "atom": molecule.atom_names.astype(str),
        "residue": molecule.residue_names.astype(str),
        "resnum": molecule.residue_numbers,
        "chain": molecule.chains.astype(str),
        "hetero": molecule.hetero,
        "ligand": molecule.ligand_mask,
        "b_factor": molecule.b_factors,
    }
    features = {key: np.tile(v, k) for key, v in features.items()}
    return (
        coords,
        {
            "name": f"{name or molecule.name} atoms",
            "face_color": np.tile(colours, (k, 1)),
            "border_width": 0,
            "size": 0.3,
            "visible": a <= MAX_VISIBLE_ATOMS,
            "features": features,
            "out_of_slice_display": False,
            "units": layer_units(coords.shape[1]),
            "metadata": {"molfield": {"group": group, "role": "atoms", "molecule": molecule,
                                      "ligand_residues": list(molecule.ligand_residues)}},
        },
        "points",
    )


def decoded_peaks(model: Any, item: int) -> np.ndarray:
    """1 (the analytic peak on the normalised scale) for channels with atoms in ``item``,
    0 for empty channels (their layers are left out: they would show only noise); 1 for
    every channel of a model that stores no atoms (an auto-encoder, a fit of maps)."""
    table = getattr(model, "table", None)  # the kinds that store their items' atoms
    try:
        used = None if table is None else table(item).used().channel
    except MolfieldError:  # an auto-decoder fitted to density maps
        used = None
    if used is None:
        return np.ones(len(model.channels))
    peaks = np.zeros(len(model.channels))
    peaks[np.unique(used)] = 1.0
    return peaks


def decoded_layers(
    field: Field, model: Any, item: int, group: str, name: str, role: str = "decoded"
) -> list[LayerData]:
    """Image layer data of a decoded (normalised) field: occupied channels only."""
    params = FieldParams(resolution=field.resolution[0], channels=",".join(model.channels))
    return field_layers([field], None, params, group, name=name, role=role,
                        peaks=decoded_peaks(model, item))


#: Role of the layers of an interpolation frame.
INTERPOLATED_ROLE = "interpolated"


def interpolation_group(model_name: str) -> str:
    """Layer group id of a model's interpolation layers."""
    return f"interpolate:{model_name}"


def path_peaks(model: Any, items: list[int]) -> np.ndarray | None:
    """`decoded_peaks` of the items of a path together: a channel gets a layer when some
    item has atoms in it (None for a model without per-item atoms: every channel)."""
    try:
        return np.max([decoded_peaks(model, int(i)) for i in items], axis=0)
    except (AttributeError, TypeError, ValueError):
        return None


def interpolation_layers(field: Field, model_name: str, peaks: Any = None, *,
                         preview: bool = False) -> list[LayerData]:
    """Image layer data of one interpolated frame, named so later frames replace it in place.

    With ``peaks`` (`path_peaks`), channels no item of the path has atoms in get no layer.
    A ``preview`` (a dragged slider's frame) is its surface alone, as `preview_surface`
    draws it (all the layers when the frame has no surface).
    """
    params = FieldParams(resolution=field.resolution[0], channels=",".join(field.channels),
                         drop_empty=peaks is not None)
    if peaks is None:
        peaks = np.ones(len(field.channels))
    layers = field_layers([field], None, params, interpolation_group(model_name),
                          name=f"{model_name} interpolation", role=INTERPOLATED_ROLE,
                          peaks=peaks)
    for _, kwargs, _ in layers:  # normalised values: the analytic peak is 1
        kwargs["contrast_limits"] = (0.0, DISPLAY_SATURATION)
        kwargs["metadata"]["molfield"]["t"] = field.meta.get("t")
    return (preview_surface(layers) or layers) if preview else layers


def recovered_layer(result: Any, group: str, label: str) -> LayerData:
    """The points layer data of atoms recovered from a field (`atoms.RecoveredAtoms`),
    drawn like a molecule's atoms, with the recovery's summary in its metadata."""
    layer = atoms_layer(result.to_molecule(label), group, label)
    layer[1]["metadata"]["molfield"]["recovered"] = result.summary()
    layer[1]["metadata"]["molfield"]["derived"] = "recovered"
    return layer


def recover_field_atoms(field: Any, group: str, label: str) -> tuple[Any, Any]:
    """Atoms of a decoded field and their layer data (a worker's job)."""
    from ..atoms import atoms_from_field

    result = atoms_from_field(field)
    return result, recovered_layer(result, group, label)


def current_viewer() -> Any:
    """The napari viewer on screen, or None — without loading Qt when it is not loaded yet
    (readers run in scripts too, and asking napari for a viewer would import Qt)."""
    import sys

    if "napari._qt" not in sys.modules:
        return None
    try:
        import napari

        return napari.current_viewer()
    except Exception:  # pragma: no cover - no viewer, e.g. in a script
        return None


def shown_as_notification(read: Any) -> Any:
    """A reader that, in a viewer, turns a user error (`MolfieldError`) into the plugin's
    own one-sentence notification and adds nothing, instead of raising: napari would wrap
    it in its generic "Tried to read … associate a different plugin" message, the reason
    last and cut off. Without a viewer (scripts) the error is raised."""
    import functools

    from ..errors import MolfieldError

    @functools.wraps(read)
    def reader(path: Any) -> list[LayerData]:
        try:
            return read(path)
        except MolfieldError as exc:
            if current_viewer() is None:
                raise
            from napari.utils.notifications import show_error

            from ..logs import get_logger, log_exception

            log_exception(get_logger(__name__), exc, "a file could not be read")
            show_error(str(exc))
            return [(None,)]  # napari's "nothing to add"

    return reader


def view_in_3d() -> None:
    """Switch the current viewer (if any) to 3D: fields and maps are volumes."""
    viewer = current_viewer()
    if viewer is not None:
        viewer.dims.ndisplay = 3
