"""How fields are drawn: ray-marched volumes, or iso-surfaces where volumes redraw slowly.

A volume layer is ray-marched through every pixel it covers at every redraw. On a GPU
that costs milliseconds; on software OpenGL (Mesa's llvmpipe: remote desktops, virtual
machines, containers without a GPU) one 96³ volume costs 1.3 s per redraw at 1920×1080
on 2 cores and the six channels of a protein 7.8 s, while their iso-surfaces (107,000
triangles) cost 0.3 s (`benchmarks/gui_walkthrough.py` measures the window). So with
software OpenGL each field channel is drawn as its van der Waals iso-surface
(`surfaces.with_surfaces`) and its volume layer is kept, hidden, for the data: its eye
shows the volume.

``MOLFIELD_DISPLAY=surface`` or ``=volume`` chooses; unset (or ``auto``) the OpenGL
renderer decides, asked once per session on the Qt thread.
"""

from __future__ import annotations

import os
import sys
import threading

SURFACE = "surface"
VOLUME = "volume"
#: Substrings of ``GL_RENDERER`` strings of software rasterisers.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software", "swiftshader")

_mode: str | None = None


def display_mode() -> str:
    """``"surface"`` or ``"volume"``: ``MOLFIELD_DISPLAY`` if set, else the OpenGL
    renderer's verdict (`software_opengl`, asked once a viewer is open), else (a script
    without a viewer, or not on the Qt thread before the first verdict) ``"volume"``."""
    global _mode
    asked = os.environ.get("MOLFIELD_DISPLAY", "auto").strip().lower()
    if asked in (SURFACE, VOLUME):
        return asked
    if _mode is None:
        if "napari._qt" not in sys.modules or (
                threading.current_thread() is not threading.main_thread()) or (
                _viewer() is None):
            return VOLUME  # a script's layer data: plain volumes
        _mode = SURFACE if software_opengl() else VOLUME
    return _mode


def _viewer() -> object | None:
    try:
        import napari

        return napari.current_viewer()
    except Exception:  # pragma: no cover - napari without its Qt parts
        return None


def software_opengl() -> bool:
    """Whether the OpenGL renderer is a software rasteriser (asks a hidden vispy canvas;
    False when no renderer can be asked)."""
    renderer = gl_renderer().lower()
    return any(name in renderer for name in SOFTWARE_RENDERERS)


def gl_renderer() -> str:
    """The ``GL_RENDERER`` string of the Qt OpenGL context ("" when none can be made)."""
    try:
        from vispy import app, gloo

        canvas = app.Canvas(size=(8, 8), show=False)
        try:
            canvas.set_current()
            return str(gloo.gl.glGetParameter(gloo.gl.GL_RENDERER))
        finally:
            canvas.close()
    except Exception:  # no display, no GL: nothing to decide with
        return ""
