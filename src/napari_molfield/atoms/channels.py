"""Which channels of a field can give atoms, and of which element.

A channel gives atoms when its name is an element symbol (``"C"``, ``"Cl"``), possibly
with a ``ligand:``/``protein:`` prefix, or a ``+`` group (``"Cl+Br"``: the element is
ambiguous, the first one is taken and a note says so). ``other``, ``all`` and property
channels (``electronegativity``, ``ws_density``, …) cannot give atoms and are skipped with
a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..chem.elements import vdw_radius
from ..errors import MolfieldError
from ..fields.channels import ChannelSpec


@dataclass(frozen=True)
class ElementChannel:
    """A channel of the field that holds atoms of one element.

    Parameters
    ----------
    index
        Position of the channel in the field.
    name
        The channel name, e.g. ``"ligand:C"``.
    element
        The element assigned to its atoms.
    radius
        The element's van der Waals radius ``r_a`` (Å).
    """

    index: int
    name: str
    element: str
    radius: float


def element_channels(names: Sequence[str]) -> tuple[list[ElementChannel], list[str]]:
    """Element channels among ``names`` and one note per channel that gives no atoms.

    Parameters
    ----------
    names
        The channel names of a field (as in `Field.channels`).

    Returns
    -------
    channels
        The channels that hold atoms of one element, in field order.
    notes
        Sentences about skipped or ambiguous channels.

    Raises
    ------
    MolfieldError
        If a name is not a valid channel name at all.
    """
    try:
        spec = ChannelSpec.parse(list(names))
    except MolfieldError as exc:
        raise MolfieldError(f"The field's channels cannot be read: {exc}") from exc
    out: list[ElementChannel] = []
    notes: list[str] = []
    for i, (name, ch) in enumerate(zip(names, spec.channels, strict=True)):
        if ch.other:
            notes.append(f"channel {name!r} mixes unnamed elements and was skipped")
            continue
        if ch.weight is not None:
            notes.append(f"channel {name!r} is an atomic property and gives no atoms")
            continue
        if ch.elements is None:
            notes.append(f"channel {name!r} holds every atom and was skipped")
            continue
        symbols = ch.name.split(":", 1)[-1].split("+")
        element = symbols[0]
        if len(symbols) > 1:
            notes.append(
                f"channel {name!r} mixes {', '.join(symbols)}: its atoms were called {element}"
            )
        radius = float(vdw_radius([element])[0])
        out.append(ElementChannel(i, str(name), element, radius))
    return out, notes
