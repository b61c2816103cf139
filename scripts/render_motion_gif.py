"""Render a deformable model's interpolation as a GIF of shaded isosurfaces (napari).

    xvfb-run -a .venv/bin/python scripts/render_motion_gif.py MODEL.safetensors OUT.gif \
        [--frames 16] [-n 64] [--level 0.25] [--from 0] [--to 1]

Each frame: the decoded field at ``t`` (all channels summed, normalised scale) as an
isosurface at ``--level``, each vertex coloured by how far the nearest atom of the model's
own atoms at ``t`` has moved from ``t = 0`` (Å, one colour scale for the whole movie) — so a
domain that moves lights up, and a cross-fade (density that fades out and in, the atoms
staying put) would not. The camera is fixed; ``t`` and the colour scale are written on
each frame. Needs a display (Xvfb) for napari's OpenGL screenshots.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def frame_surface(interp, t: float, level: float, ref: np.ndarray):
    """``(verts Å, faces, per-vertex displacement Å)`` of the isosurface at ``t``."""
    from scipy.spatial import cKDTree
    from skimage.measure import marching_cubes

    field = interp.field(t)
    total = field.values.sum(axis=0)
    verts, faces, _, _ = marching_cubes(total, level)
    verts = verts * field.spacing + field.origin
    atoms = interp.atoms(t)
    _, nearest = cKDTree(atoms).query(verts)
    moved = np.linalg.norm(atoms - ref, axis=1)[nearest]
    return verts, faces, moved


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("output")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("-n", "--resolution", type=int, default=64)
    ap.add_argument("--level", type=float, default=0.25,
                    help="isosurface of the channel sum (normalised scale)")
    ap.add_argument("--from", dest="start", default="0")
    ap.add_argument("--to", dest="stop", default="1")
    ap.add_argument("--size", type=int, default=480, help="frame edge, pixels")
    ap.add_argument("--label", default="", help="text before t on each frame")
    ap.add_argument("--zoom", type=float, default=0.8)
    ap.add_argument("--angles", type=float, nargs=3, default=(0.0, 30.0, 90.0))
    args = ap.parse_args(argv)

    import imageio.v3 as iio

    import napari
    from napari_molfield.deform.checkpoint import load_deform
    from napari_molfield.deform.interpolate import DeformInterpolator, frame_times

    model = load_deform(args.model)
    ids = [int(v) if v.lstrip("-").isdigit() else v for v in (args.start, args.stop)]
    interp = DeformInterpolator(model, ids, args.resolution)
    ref = interp.atoms(0.0)
    t0 = time.perf_counter()
    surfaces = [frame_surface(interp, float(t), args.level, ref)
                for t in frame_times(args.frames)]
    top = max(float(np.percentile(s[2], 99)) for s in surfaces)
    print(f"{len(surfaces)} surfaces in {time.perf_counter() - t0:.1f} s; largest move "
          f"shown {top:.1f} Å")

    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(args.size + 400, args.size + 200)
    verts, faces, moved = surfaces[0]
    layer = viewer.add_surface((verts, faces, moved), colormap="plasma",
                               contrast_limits=(0.0, top), shading="smooth",
                               name="isosurface", units="angstrom")
    viewer.dims.ndisplay = 3
    camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera
    viewer.reset_view()
    camera.angles = tuple(args.angles)
    camera.zoom *= args.zoom
    text = viewer.canvas.overlays.text if hasattr(viewer, "canvas") else viewer.text_overlay
    text.visible = True
    text.font_size = 9
    text.color = "white"
    text.position = "top_left"
    frames = []
    for t, (verts, faces, moved) in zip(frame_times(args.frames), surfaces, strict=True):
        layer.data = (verts, faces, moved)
        text.text = (f"{args.label}   t = {t:.2f}\n"
                     f"colour: how far the atoms moved, 0–{top:.0f} Å")
        frames.append(viewer.screenshot(canvas_only=True, size=(args.size, args.size))[..., :3])
    viewer.close()
    out = Path(args.output)
    # forth and back, so the loop does not jump
    seq = frames + frames[-2:0:-1]
    iio.imwrite(out, np.stack(seq), duration=120, loop=0)
    print(f"{len(seq)} frames → {out} ({out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
