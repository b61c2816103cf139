"""Channel specifications: which atoms feed which channel, with what weight.

A channel is a set of elements (or every atom), an optional atomic property used as
the per-atom weight ``w_a`` of Eq. 1, and an optional part of a complex (ligand or
protein). Atoms can feed several channels (a carbon feeds ``C`` and ``ws_density``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..chem.elements import PROPERTY_NAMES, element_property, vdw_radius
from ..chem.molecule import Molecule, normalise_symbol
from ..errors import MolfieldError

DEFAULT_CHANNELS: tuple[str, ...] = ("H", "C", "N", "O", "F", "P", "S", "Cl", "other")
PARTS = ("ligand", "protein")
_PROPERTY_ALIASES = {"density": "ws_density", "en": "electronegativity"}


@dataclass(frozen=True)
class Channel:
    """One output channel.

    Parameters
    ----------
    name
        Display name, e.g. ``"C"``, ``"C+N"``, ``"ligand:ws_density"``.
    elements
        Elements feeding it; ``None`` means every atom (property and ``all`` channels).
    other
        Collects atoms whose element has no element channel of its own.
    weight
        Name of the atomic property used as ``w_a``; ``None`` means ``w_a = 1``.
    part
        ``"ligand"``, ``"protein"`` or ``None`` for the whole molecule.
    """

    name: str
    elements: frozenset[str] | None = None
    other: bool = False
    weight: str | None = None
    part: str | None = None


@dataclass(frozen=True)
class AtomTable:
    """The exact per-(atom, channel) inputs of Eq. 1 for one conformer.

    Entry ``e`` adds ``weight[e] * exp(-beta * (|p - xyz[e]|² / radius[e]² - 1))`` to
    channel ``channel[e]`` (``-1``: the atom feeds no channel). When every atom feeds
    at most one channel, entries are atoms in file order.
    """

    xyz: np.ndarray  # [E, 3] float64, Å
    radius: np.ndarray  # [E] float64, Å
    channel: np.ndarray  # [E] int32
    weight: np.ndarray  # [E] float64
    channels: tuple[str, ...]

    @property
    def n_channels(self) -> int:
        """Number of channels ``C``."""
        return len(self.channels)

    def used(self) -> AtomTable:
        """Only the entries that feed a channel with a non-zero weight."""
        keep = (self.channel >= 0) & (self.weight != 0)
        return AtomTable(
            self.xyz[keep], self.radius[keep], self.channel[keep], self.weight[keep], self.channels
        )


@dataclass(frozen=True)
class ChannelSpec:
    """An ordered list of channels."""

    channels: tuple[Channel, ...]

    @classmethod
    def parse(cls, spec: str | Sequence[str] | ChannelSpec | None = None, split: bool = False
              ) -> ChannelSpec:
        """Build a spec from names.

        Each name is an element (``"C"``), a group joined by ``+`` (``"C+N"``), ``"other"``,
        ``"all"``, or a property (``"electronegativity"``/``"en"``, ``"ws_density"``/``"density"``).
        With ``split=True`` every channel appears twice, for the ligand and for the protein.

        Examples
        --------
        >>> ChannelSpec.parse("H,density", split=True).names
        ('ligand:H', 'ligand:ws_density', 'protein:H', 'protein:ws_density')
        """
        if isinstance(spec, ChannelSpec):
            return spec.split() if split and not spec.is_split else spec
        if spec is None:
            names: list[str] = list(DEFAULT_CHANNELS)
        elif isinstance(spec, str):
            names = [s for s in (t.strip() for t in spec.split(",")) if s]
        else:
            names = [str(s).strip() for s in spec if str(s).strip()]
        if not names:
            raise MolfieldError("Give at least one channel.")
        chans = []
        for raw in names:
            part = None
            if ":" in raw:
                part, raw = (t.strip() for t in raw.split(":", 1))
                if part not in PARTS:
                    raise MolfieldError(f"Unknown part {part!r}: use 'ligand' or 'protein'.")
            chans.append(_parse_one(raw, part))
        out = cls(tuple(chans))
        if len(set(out.names)) != len(out.names):
            raise MolfieldError(f"Channel names repeat: {', '.join(out.names)}.")
        return out.split() if split else out

    def split(self) -> ChannelSpec:
        """Every channel twice: ligand first, then protein."""
        return ChannelSpec(
            tuple(
                Channel(f"{p}:{c.name}", c.elements, c.other, c.weight, p)
                for p in PARTS
                for c in self.channels
            )
        )

    @property
    def is_split(self) -> bool:
        """Whether channels are restricted to parts of a complex."""
        return any(c.part is not None for c in self.channels)

    @property
    def names(self) -> tuple[str, ...]:
        """Channel names in order."""
        return tuple(c.name for c in self.channels)

    def __len__(self) -> int:
        return len(self.channels)

    def assign(self, molecule: Molecule, conformer: int = 0) -> AtomTable:
        """The per-(atom, channel) inputs of Eq. 1 for one conformer of ``molecule``."""
        elements = np.array([("H" if e == "D" else e) for e in molecule.elements], dtype=object)
        xyz = molecule.coords[conformer]
        radius = vdw_radius(elements)
        lig = molecule.ligand_mask
        in_part = {None: np.ones_like(lig), "ligand": lig, "protein": ~lig}
        if self.is_split and not lig.any():
            raise MolfieldError(
                f"{molecule.name}: a ligand/protein split needs a ligand, and none was found."
            )
        per_channel = []
        for ci, ch in enumerate(self.channels):
            sel = in_part[ch.part].copy()
            if ch.other:
                named = set().union(
                    *(c.elements for c in self.channels
                      if c.part == ch.part and c.elements is not None and not c.other)
                )
                sel &= ~np.isin(elements, sorted(named))
            elif ch.elements is not None:
                sel &= np.isin(elements, sorted(ch.elements))
            w = (
                np.ones(len(elements))
                if ch.weight is None
                else element_property(ch.weight, elements)
            )
            per_channel.append((ci, np.flatnonzero(sel), w))
        counts = np.zeros(len(elements), int)
        for _, idx, _ in per_channel:
            counts[idx] += 1
        if counts.max(initial=0) <= 1:  # one entry per atom, in file order
            channel = np.full(len(elements), -1, np.int32)
            weight = np.zeros(len(elements))
            for ci, idx, w in per_channel:
                channel[idx] = ci
                weight[idx] = w[idx]
            return AtomTable(xyz.copy(), radius, channel, weight, self.names)
        idx = np.concatenate([i for _, i, _ in per_channel])
        return AtomTable(
            xyz[idx].copy(),
            radius[idx],
            np.concatenate([np.full(len(i), ci, np.int32) for ci, i, _ in per_channel]),
            np.concatenate([w[i] for _, i, w in per_channel]),
            self.names,
        )

    def to_list(self) -> list[str]:
        """Names that :meth:`parse` turns back into this spec."""
        return list(self.names)


def _parse_one(raw: str, part: str | None) -> Channel:
    key = raw.lower()
    prefix = f"{part}:" if part else ""
    if key == "other":
        return Channel(prefix + "other", None, True, None, part)
    if key in ("all", "*"):
        return Channel(prefix + "all", None, False, None, part)
    prop = _PROPERTY_ALIASES.get(key, key)
    if prop in PROPERTY_NAMES:
        return Channel(prefix + prop, None, False, prop, part)
    symbols = [normalise_symbol(s) for s in raw.split("+")]
    known = vdw_radius(np.array(symbols, dtype=object), strict=False)
    bad = [s for s, r in zip(symbols, known, strict=True) if not np.isfinite(r)]
    if bad:
        raise MolfieldError(
            f"Unknown channel {raw!r}: use element symbols, 'other', 'all', or one of "
            f"{', '.join(PROPERTY_NAMES)}."
        )
    return Channel(prefix + "+".join(symbols), frozenset(symbols), False, None, part)
