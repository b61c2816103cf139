"""Fields drawn as iso-surfaces (the display on software OpenGL, `_napari.display`).

Each channel's image layer stays as the data, hidden; the van der Waals surfaces of a
result's channels are one surface layer in the same Å frame, coloured per channel.
Checked: the surface of one atom is its van der Waals sphere, a complex opens as
surfaces, a decode shows its own surface and hides the input's (a second decode updates
it in place), a map opens as its contour, and the automatic choice follows the OpenGL
renderer.
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield._napari import display
from napari_molfield._napari.session import MODELS
from napari_molfield._napari.widgets.common import layer_kind

from .conftest import assert_not_blank, decode_in_dock, open_file, save_shot


def _info(layer) -> dict:
    return layer.metadata.get("molfield", {})


def _drawn(layers) -> tuple[list, object]:
    """The images drawn as surfaces, and the one surface layer drawing them."""
    images = [ly for ly in layers if layer_kind(ly) == "image"
              and _info(ly).get("drawn_as_surface")]
    surfaces = [ly for ly in layers if layer_kind(ly) == "surface" and _info(ly).get("surface")]
    assert len(surfaces) <= 1, [ly.name for ly in surfaces]
    return images, (surfaces[0] if surfaces else None)


def test_the_automatic_choice_follows_the_renderer(monkeypatch):
    monkeypatch.delenv("MOLFIELD_DISPLAY", raising=False)
    monkeypatch.setattr(display, "_mode", None)
    monkeypatch.setattr(display, "gl_renderer", lambda: "llvmpipe (LLVM 15.0.6, 256 bits)")
    assert display.software_opengl()
    monkeypatch.setattr(display, "gl_renderer", lambda: "NVIDIA H100 80GB HBM3/PCIe/SSE2")
    assert not display.software_opengl()
    monkeypatch.setenv("MOLFIELD_DISPLAY", "volume")
    assert display.display_mode() == "volume"


def test_xvfb_renderer_is_named():
    """The hidden canvas answers (under Xvfb: Mesa's llvmpipe, a software renderer)."""
    import qtpy.QtWidgets  # noqa: F401  (a QApplication for the canvas)
    from napari._qt.qt_event_loop import get_qapp

    get_qapp()
    assert display.gl_renderer() != ""


@pytest.mark.surfaces
def test_one_atom_surface_is_its_van_der_waals_sphere():
    from napari_molfield._napari.layers import FieldParams, molecule_layers
    from napari_molfield.chem.elements import vdw_radius
    from napari_molfield.chem.smiles import from_smiles

    mol = from_smiles("[Na+]", seed=0)
    layers = molecule_layers(mol, FieldParams(resolution=48, channels="other", padding=4.0))
    kinds = [kind for _, _, kind in layers]
    assert kinds == ["image", "surface", "points"]
    (_, image, _), ((verts, faces, _), kw, _) = layers[0], layers[1]
    assert image["visible"] is False and kw["metadata"]["molfield"]["surface"]
    radius = np.linalg.norm(verts - mol.coords[0, 0], axis=1)  # vertices in Å
    r = float(vdw_radius("Na")[0])
    assert len(faces) > 100 and np.abs(radius - r).max() < 0.05 * r, (radius.min(), radius.max())


def test_a_field_below_its_level_stays_a_shown_volume():
    """A result with nothing to contour (a poor fit of a map) keeps its volumes shown."""
    from napari_molfield._napari.surfaces import with_surfaces

    meta = {"molfield": {"surface_level": 2.0, "channel": "map"}}
    image = (np.ones((8, 8, 8), np.float32), {"name": "map decoded", "metadata": meta},
             "image")
    out = with_surfaces([image], wanted=True)
    assert [kind for _, _, kind in out] == ["image"]
    assert out[0][1].get("visible", True) and not meta["molfield"].get("drawn_as_surface")
    image[0][2:6, 2:6, 2:6] = 3.0  # now a region crosses the level: a surface, image hidden
    out = with_surfaces([image], wanted=True)
    assert [kind for _, _, kind in out] == ["image", "surface"] and not out[0][1]["visible"]


@pytest.mark.surfaces
def test_complex_opens_as_surfaces(viewer, data_dir):
    layers = open_file(viewer, data_dir / "1iep_sti_pocket.pdb")
    images, surface = _drawn(layers)
    channels = {_info(im)["channel"] for im in images}
    assert channels >= {"C", "N", "O", "ligand:all"}
    assert not any(im.visible for im in images)
    assert surface is not None and surface.visible and surface.name == "1iep_sti_pocket surfaces"
    assert set(_info(surface)["channels"]) == channels and _info(surface)["role"] == "field"
    atoms = next(ly for ly in layers if _info(ly).get("role") == "atoms")
    # vertices in Å, inside the images' extent, every one within 3 Å of an atom (van der
    # Waals radii are at most 2 Å); each channel's vertices in its channel's colour
    world = surface.data[0]
    lo, hi = np.asarray(images[0].extent.world)
    assert (world >= lo - 1e-3).all() and (world <= hi + 1e-3).all()
    d = np.linalg.norm(world[::50, None] - atoms.data[None], axis=-1).min(axis=1)
    assert d.max() < 3.0, d.max()
    colours = {tuple(np.round(c, 3)) for c in surface.vertex_colors}
    assert len(colours) == len(channels)
    carbon = next(im for im in images if _info(im)["channel"] == "C")  # its image's colour
    assert tuple(np.round(carbon.colormap.colors[-1][:3], 3)) in {c[:3] for c in colours}
    shot = viewer.screenshot(canvas_only=True, size=(400, 400), flash=False)
    assert_not_blank(shot)
    save_shot(shot, "complex_surfaces.png")


@pytest.mark.surfaces
def test_a_decode_shows_its_own_surfaces(viewer, qtbot, data_dir, ethanol):
    _, input_surface = _drawn(open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf"))
    assert input_surface is not None and input_surface.visible
    MODELS.add(ethanol, "ethanol")
    w = decode_in_dock(viewer, qtbot)

    def decoded() -> tuple[list, object]:
        return _drawn([ly for ly in viewer.layers if _info(ly).get("role") == "decoded"])

    images, surface = decoded()
    assert images and not any(im.visible for im in images)
    assert surface is not None and surface.visible
    assert not input_surface.visible  # the input's surfaces hidden
    assert "hidden" in w.status.value
    first = (surface.unique_id, surface.data[0].shape)
    decode_in_dock(viewer, qtbot, 32, w)  # again, finer: the same surface layer, new vertices
    _, again = decoded()
    assert again.unique_id == first[0] and again.data[0].shape != first[1]
    assert_not_blank(viewer.screenshot(canvas_only=True, size=(400, 400), flash=False))


@pytest.mark.surfaces
def test_a_map_opens_as_its_contour(viewer, data_dir):
    from napari_molfield.fields.maps import read_map

    path = data_dir / "maps" / "1jzv.ccp4"
    image, surface = open_file(viewer, path)
    assert layer_kind(surface) == "surface" and surface.visible and not image.visible
    level = _info(image)["level"]
    # the contour is where the map crosses its level: trilinear values at the vertices
    from scipy.ndimage import map_coordinates

    field = read_map(path)
    voxels = (surface.data[0] - np.asarray(image.translate)) / np.asarray(image.scale)
    off = np.abs(map_coordinates(field.values[0], voxels.T, order=1, mode="nearest") - level)
    span = float(field.values[0].max() - field.values[0].min())
    # exact on edges of the contoured grid; grids over 96 voxels are contoured every
    # second voxel, so a few vertices sit off the full grid's trilinear level
    assert np.quantile(off, 0.9) < 1e-4 * span and off.max() < 0.05 * span
    assert_not_blank(viewer.screenshot(canvas_only=True, size=(400, 400), flash=False))


def test_a_preview_is_one_union_surface_coloured_by_the_densest_channel():
    """While the Interpolate slider is dragged a frame is drawn as one iso-surface of the
    channels' sum (the union of their surfaces, fewer triangles), each vertex in its
    densest channel's colour, under the full surface's name (updated in place)."""
    from napari.utils.colormaps import ensure_colormap

    from napari_molfield._napari.surfaces import preview_surface, surface_layer

    n = 24
    grid = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), axis=-1)

    def blob(centre):
        return np.exp(-np.sum((grid - np.asarray(centre)) ** 2, axis=-1) / 8.0)

    def image(values, channel, colour):
        return (values, {"name": f"frame {channel}", "colormap": ensure_colormap(colour),
                         "metadata": {"molfield": {"channel": channel, "surface_level": 0.3,
                                                   "drawn_as_surface": True}}}, "image")

    # two overlapping atoms: carbon (left) and oxygen (right)
    layers = [image(blob((12, 9, 12)), "C", "gray"), image(blob((12, 14, 12)), "O", "red")]
    full = surface_layer([(d, k, 0.3) for d, k, _ in layers])
    (data, kwargs, kind), = preview_surface([*layers, full])
    assert kind == "surface" and kwargs["name"] == full[1]["name"] == "frame surfaces"
    assert kwargs["metadata"]["molfield"]["preview"]
    verts, faces, _ = data
    assert len(faces) < len(full[0][1])  # the overlap's inner walls are gone
    colours = kwargs["vertex_colors"]
    assert colours.shape == (len(verts), 4)
    red = np.isclose(colours[:, 0], 1.0) & np.isclose(colours[:, 1], 0.0)
    assert red.any() and (~red).any()
    assert (verts[red, 1] > 11.5).all() and (verts[~red, 1] < 11.5).all()  # each its side
    empty = [image(np.zeros((n, n, n)), "C", "gray")]
    assert preview_surface(empty) == []  # no surface: the full layers are used
