"""Display colours of channels and elements (Qt-free: napari, movies and plots share them)."""

from __future__ import annotations

from ..chem.elements import element_color

# Colours for channels that are not a single element (RGB, 0..1).
_SPECIAL_COLOURS = {
    "other": (1.0, 0.45, 0.75),
    "all": (0.85, 0.85, 0.85),
    "ws_density": (1.0, 0.6, 0.1),
    "electronegativity": (0.35, 0.75, 1.0),
}
_LIGAND_COLOUR = (1.0, 0.85, 0.0)
#: Fraction of a channel's peak shown at full colour (stronger, more readable volumes).
DISPLAY_SATURATION = 0.7


def element_color_safe(symbol: str) -> tuple[float, float, float]:
    """`element_color`, grey for symbols the table does not know."""
    try:
        return element_color(symbol)
    except Exception:
        return (0.7, 0.7, 0.7)


def channel_colour(name: str) -> tuple[float, float, float]:
    """A display colour for a channel name such as ``"C"``, ``"ligand:C"`` or ``"ws_density"``."""
    part, _, base = name.rpartition(":")
    rgb: tuple[float, ...]
    if base in _SPECIAL_COLOURS:
        rgb = _SPECIAL_COLOURS[base]
    else:
        first = base.split("+")[0]
        rgb = element_color_safe(first)
        if first == "H":  # white hydrogens vanish under additive blending: tint them
            rgb = (0.55, 0.6, 0.8)
        elif first == "C":  # CPK grey carbon reads poorly as a volume: use a green-grey
            rgb = (0.45, 0.85, 0.45)
    if part == "ligand":
        rgb = tuple(0.4 * c + 0.6 * lc for c, lc in zip(rgb, _LIGAND_COLOUR, strict=True))
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


__all__ = ["DISPLAY_SATURATION", "channel_colour", "element_color_safe"]
