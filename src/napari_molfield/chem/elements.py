"""Per-element tables: van der Waals radii, atomic properties and display colours.

Sources (facts only, no code copied):

* van der Waals radii (Å): RDKit's periodic table, ``Chem.GetPeriodicTable().GetRvdw(Z)``
  (RDKit 2026.09.1), Z = 1..103, written out here so that importing this module needs no
  RDKit.
* Display colours: Jmol's CPK element colours (https://jmol.sourceforge.net/jscolors/),
  as hex RGB.
* Pauling electronegativity: the CDK table ``electroneg-pauling.txt`` (The Chemistry
  Development Kit, MIT license; itself from the Blue Obelisk data repository / CRC
  Handbook of Chemistry and Physics).
* ``ws_density``: the **valence-electron density of the element's Wigner–Seitz cell**,
  n_ws = Z_val / V_atom in electrons per Å³, where V_atom is the volume per atom of the
  element's condensed (solid or liquid) phase, i.e. the Wigner–Seitz cell of the elemental
  solid, and Z_val the number of valence electrons. Typical values: H 0.053, C 0.45,
  N 0.22, O 0.21, S 0.22, Cl 0.24, Fe 0.68 e/Å³.

  - V_atom (Å³/atom): Magpie's ``AtomicVolume.table`` (L. Ward et al., *npj Comput.
    Mater.* 2, 16028 (2016), https://bitbucket.org/wolverton/magpie, ``lookup-data/``;
    V = atomic weight / (density N_A) from Mathematica ElementData), rounded to 0.001 Å³.
    That table uses the gas density at STP for H, He, N, O, F, Ne, Cl, Ar, Kr, Xe, Rn
    (≈18 600 Å³ per atom — not a condensed phase), so for H, He, N, O, F, Ne, Cl and Ar
    the molar volume of the condensed element from WebElements (as tabulated in
    pymatgen's ``pymatgen/core/periodic_table.json``, "Molar volume", cm³/mol) is used
    instead, V = V_m / N_A. Kr, Xe, Rn, At, Fr and Es–Lr have no value.
  - Z_val: group-based count — groups 1–12: the group number (transition metals count
    their d electrons, e.g. Fe 8, Zn 12); groups 13–18: group − 10 (B 3, C 4, N 5, O 6,
    F 7, noble gases 8; He 2); lanthanides and actinides: 3.

* ``miedema_nws``: Miedema's electron density at the boundary of the Wigner–Seitz cell,
  n_ws^(1/3) in (density units)^(1/3), from the Miedema/de Boer tables (F. R. de Boer et
  al., *Cohesion in Metals*, North-Holland 1988) as tabulated in qmpy's
  ``qmpy/data/miedema.yml`` and cross-checked against the cube roots of n_ws in matminer's
  ``matminer/utils/data_files/Miedema.csv`` (agreeing to ±0.01 for every element except Eu
  and Yb, where matminer lists the trivalent n_ws; the divalent values are kept here).
  Miedema's model covers metals plus H, B, C, N, Si, P, Ge, As, Sb; it has **no values for
  O, S, Se, the halogens or the noble gases**, so ``element_property("miedema_nws", ...)``
  raises for them (or gives NaN with ``strict=False``). (This was ``ws_density`` before.)

* The placeholder ``"X"`` (:data:`UNKNOWN_ELEMENT`) stands for atoms of unknown element,
  dummy atoms and virtual sites (``X``, ``Du``, lone pairs ``LP``, TIP4P ``MW``). The
  readers give it to such atoms, and the field channels send it to ``other``. It has the
  van der Waals radius 2.0 Å — the value RDKit's table gives elements without a measured
  radius (Po–Lr) — atomic number 0, the Jmol "unknown" colour, and the value 0 for every
  atomic property (a dummy atom carries no electrons), so that it adds nothing to a
  property-weighted channel.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import MolfieldError

# "Z symbol r_vdw(Å, RDKit) Jmol-colour" — four elements per line.
_TABLE = """
    1 H 1.2 FFFFFF  |  2 He 1.4 D9FFFF  |  3 Li 2.2 CC80FF  |  4 Be 1.9 C2FF00
    5 B 1.8 FFB5B5  |  6 C 1.7 909090  |  7 N 1.6 3050F8  |  8 O 1.55 FF0D0D
    9 F 1.5 90E050  |  10 Ne 1.54 B3E3F5  |  11 Na 2.4 AB5CF2  |  12 Mg 2.2 8AFF00
    13 Al 2.1 BFA6A6  |  14 Si 2.1 F0C8A0  |  15 P 1.95 FF8000  |  16 S 1.8 FFFF30
    17 Cl 1.8 1FF01F  |  18 Ar 1.88 80D1E3  |  19 K 2.8 8F40D4  |  20 Ca 2.4 3DFF00
    21 Sc 2.3 E6E6E6  |  22 Ti 2.15 BFC2C7  |  23 V 2.05 A6A6AB  |  24 Cr 2.05 8A99C7
    25 Mn 2.05 9C7AC7  |  26 Fe 2.05 E06633  |  27 Co 2 F090A0  |  28 Ni 2 50D050
    29 Cu 2 C88033  |  30 Zn 2.1 7D80B0  |  31 Ga 2.1 C28F8F  |  32 Ge 2.1 668F8F
    33 As 2.05 BD80E3  |  34 Se 1.9 FFA100  |  35 Br 1.9 A62929  |  36 Kr 2.02 5CB8D1
    37 Rb 2.9 702EB0  |  38 Sr 2.55 00FF00  |  39 Y 2.4 94FFFF  |  40 Zr 2.3 94E0E0
    41 Nb 2.15 73C2C9  |  42 Mo 2.1 54B5B5  |  43 Tc 2.05 3B9E9E  |  44 Ru 2.05 248F8F
    45 Rh 2 0A7D8C  |  46 Pd 2.05 006985  |  47 Ag 2.1 C0C0C0  |  48 Cd 2.2 FFD98F
    49 In 2.2 A67573  |  50 Sn 2.25 668080  |  51 Sb 2.2 9E63B5  |  52 Te 2.1 D47A00
    53 I 2.1 940094  |  54 Xe 2.16 429EB0  |  55 Cs 3 57178F  |  56 Ba 2.7 00C900
    57 La 2.5 70D4FF  |  58 Ce 2.48 FFFFC7  |  59 Pr 2.47 D9FFC7  |  60 Nd 2.45 C7FFC7
    61 Pm 2.43 A3FFC7  |  62 Sm 2.42 8FFFC7  |  63 Eu 2.4 61FFC7  |  64 Gd 2.38 45FFC7
    65 Tb 2.37 30FFC7  |  66 Dy 2.35 1FFFC7  |  67 Ho 2.33 00FF9C  |  68 Er 2.32 00E675
    69 Tm 2.3 00D452  |  70 Yb 2.28 00BF38  |  71 Lu 2.27 00AB24  |  72 Hf 2.25 4DC2FF
    73 Ta 2.2 4DA6FF  |  74 W 2.1 2194D6  |  75 Re 2.05 267DAB  |  76 Os 2 266696
    77 Ir 2 175487  |  78 Pt 2.05 D0D0E0  |  79 Au 2.1 FFD123  |  80 Hg 2.05 B8B8D0
    81 Tl 2.2 A6544D  |  82 Pb 2.3 575961  |  83 Bi 2.3 9E4FB5  |  84 Po 2 AB5C00
    85 At 2 754F45  |  86 Rn 2 428296  |  87 Fr 2 420066  |  88 Ra 2 007D00
    89 Ac 2 70ABFA  |  90 Th 2.4 00BAFF  |  91 Pa 2 00A1FF  |  92 U 2.3 008FFF
    93 Np 2 0080FF  |  94 Pu 2 006BFF  |  95 Am 2 545CF2  |  96 Cm 2 785CE3
    97 Bk 2 8A4FE3  |  98 Cf 2 A136D4  |  99 Es 2 B31FD4  |  100 Fm 2 B31FBA
    101 Md 2 B30DA6  |  102 No 2 BD0D87  |  103 Lr 2 C70066
"""

# Pauling electronegativity by atomic number (CDK electroneg-pauling.txt; see above).
_PAULING = """
1 2.20 3 0.98 4 1.57 5 2.04 6 2.55 7 3.04 8 3.44 9 3.98 11 0.93 12 1.31 13 1.61 14 1.90
15 2.19 16 2.58 17 3.16 19 0.82 20 1.00 21 1.36 22 1.54 23 1.63 24 1.66 25 1.55 26 1.83
27 1.88 28 1.91 29 1.90 30 1.65 31 1.81 32 2.01 33 2.18 34 2.55 35 2.96 36 3.00 37 0.82
38 0.95 39 1.22 40 1.33 41 1.6 42 2.16 43 1.9 44 2.2 45 2.28 46 2.20 47 1.93 48 1.69
49 1.78 50 1.96 51 2.05 52 2.1 53 2.66 54 2.6 55 0.79 56 0.89 57 1.10 58 1.12 59 1.13
60 1.14 62 1.17 64 1.20 66 1.22 67 1.23 68 1.24 69 1.25 71 1.27 72 1.3 73 1.5 74 2.36
75 1.9 76 2.2 77 2.20 78 2.28 79 2.54 80 2.00 81 1.62 82 2.33 83 2.02 84 2.0 85 2.2
87 0.7 88 0.9 89 1.1 90 1.3 91 1.5 92 1.38 93 1.36 94 1.28 95 1.3 96 1.3 97 1.3 98 1.3
99 1.3 100 1.3 101 1.3 102 1.3
"""

# Miedema n_ws^(1/3) (de Boer et al. 1988 via qmpy miedema.yml; see above).
_MIEDEMA_NWS13 = """
H 1.50 Li 0.98 Be 1.67 B 1.75 C 1.77 N 1.65 Na 0.82 Mg 1.17 Al 1.39 Si 1.50 P 1.65
K 0.65 Ca 0.91 Sc 1.27 Ti 1.52 V 1.64 Cr 1.73 Mn 1.61 Fe 1.77 Co 1.75 Ni 1.75 Cu 1.47
Zn 1.32 Ga 1.31 Ge 1.37 As 1.44 Rb 0.60 Sr 0.84 Y 1.21 Zr 1.41 Nb 1.64 Mo 1.77 Tc 1.81
Ru 1.83 Rh 1.76 Pd 1.67 Ag 1.36 Cd 1.24 In 1.17 Sn 1.24 Sb 1.26 Cs 0.55 Ba 0.81 La 1.18
Ce 1.19 Pr 1.20 Nd 1.20 Pm 1.21 Sm 1.21 Eu 0.88 Gd 1.21 Tb 1.22 Dy 1.22 Ho 1.22 Er 1.23
Tm 1.23 Yb 0.92 Lu 1.24 Hf 1.45 Ta 1.63 W 1.81 Re 1.85 Os 1.85 Ir 1.83 Pt 1.78 Au 1.57
Hg 1.24 Tl 1.12 Pb 1.15 Bi 1.16 Th 1.28 U 1.51 Pu 1.44
"""


# Atomic volume, Å³ per atom, Magpie AtomicVolume.table (Ward et al. 2016; see above).
# Elements that are gases at STP are left out here and come from _CONDENSED_MOLAR_VOLUME.
_ATOMIC_VOLUME = """
Li 21.544 Be 8.098 B 7.298 C 8.825 Na 39.438 Mg 23.222 Al 16.594 Si 20.016 P 28.214
S 27.167 K 75.848 Ca 42.937 Sc 25.009 Ti 17.636 V 13.845 Cr 12.093 Mn 12.213 Fe 11.777
Co 10.996 Ni 10.941 Cu 11.830 Zn 15.206 Ga 19.611 Ge 22.661 As 21.724 Se 27.209
Br 42.528 Rb 92.641 Sr 55.323 Y 33.013 Zr 23.266 Nb 18.002 Mo 15.501 Tc 14.151 Ru 13.568
Rh 13.726 Pd 14.698 Ag 17.076 Cd 21.580 In 26.083 Sn 26.967 Sb 30.191 Te 33.957 I 42.659
Cs 117.456 Ba 64.969 La 37.531 Ce 34.785 Pr 35.239 Nd 34.169 Pm 33.148 Sm 33.957
Eu 48.121 Gd 33.050 Tb 32.109 Dy 31.557 Ho 31.140 Er 30.636 Tm 30.096 Yb 43.740
Lu 29.524 Hf 22.269 Ta 18.047 W 15.859 Re 14.710 Os 13.984 Ir 14.149 Pt 15.360 Au 16.947
Hg 24.612 Tl 28.641 Pb 30.341 Bi 35.483 Po 37.740 Ra 75.058 Ac 37.433 Th 32.866
Pa 24.961 U 20.749 Np 19.245 Pu 20.447 Am 29.519 Cm 30.360 Bk 27.751 Cf 27.603
"""

# Molar volume of the condensed element, cm³/mol (WebElements via pymatgen
# periodic_table.json "Molar volume"; see above), for elements that are gases at STP.
_CONDENSED_MOLAR_VOLUME = """
H 11.42 He 21.0 N 13.54 O 17.36 F 11.20 Ne 13.23 Cl 17.39 Ar 22.56
"""

# Valence electrons (group rule above: groups 1–12 → group, 13–18 → group − 10, He 2,
# lanthanides/actinides 3).
_N_VALENCE = """
H 1 He 2 Li 1 Be 2 B 3 C 4 N 5 O 6 F 7 Ne 8 Na 1 Mg 2 Al 3 Si 4 P 5 S 6 Cl 7 Ar 8 K 1
Ca 2 Sc 3 Ti 4 V 5 Cr 6 Mn 7 Fe 8 Co 9 Ni 10 Cu 11 Zn 12 Ga 3 Ge 4 As 5 Se 6 Br 7 Kr 8
Rb 1 Sr 2 Y 3 Zr 4 Nb 5 Mo 6 Tc 7 Ru 8 Rh 9 Pd 10 Ag 11 Cd 12 In 3 Sn 4 Sb 5 Te 6 I 7
Xe 8 Cs 1 Ba 2 La 3 Ce 3 Pr 3 Nd 3 Pm 3 Sm 3 Eu 3 Gd 3 Tb 3 Dy 3 Ho 3 Er 3 Tm 3 Yb 3
Lu 3 Hf 4 Ta 5 W 6 Re 7 Os 8 Ir 9 Pt 10 Au 11 Hg 12 Tl 3 Pb 4 Bi 5 Po 6 At 7 Rn 8 Fr 1
Ra 2 Ac 3 Th 3 Pa 3 U 3 Np 3 Pu 3 Am 3 Cm 3 Bk 3 Cf 3 Es 3 Fm 3 Md 3 No 3 Lr 3
"""

_AVOGADRO = 6.02214076e23  # mol⁻¹ (exact, SI 2019)
_CM3_TO_A3 = 1e24


def _pairs(table: str) -> dict[str, float]:
    tok = table.split()
    return {s: float(v) for s, v in zip(tok[::2], tok[1::2], strict=True)}


def _ws_density_table() -> dict[str, float]:
    """Z_val / V_atom (e/Å³) for every element with both a volume and a valence count."""
    volumes = _pairs(_ATOMIC_VOLUME)
    for s, vm in _pairs(_CONDENSED_MOLAR_VOLUME).items():
        volumes[s] = vm * _CM3_TO_A3 / _AVOGADRO
    valence = _pairs(_N_VALENCE)
    return {s: valence[s] / v for s, v in volumes.items()}


def _parse_tables() -> tuple[dict[str, int], dict[str, float], dict[str, tuple[float, ...]]]:
    numbers: dict[str, int] = {}
    radii: dict[str, float] = {}
    colors: dict[str, tuple[float, ...]] = {}
    for entry in _TABLE.replace("\n", "|").split("|"):
        if not entry.strip():
            continue
        z, sym, rvdw, hexcol = entry.split()
        numbers[sym] = int(z)
        radii[sym] = float(rvdw)
        colors[sym] = tuple(int(hexcol[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    return numbers, radii, colors


_NUMBERS, _RVDW, _COLORS = _parse_tables()
_SYMBOLS_BY_Z = {z: s for s, z in _NUMBERS.items()}
_ISOTOPES = {"D": "H", "T": "H"}

_tok = _PAULING.split()
_EN = {_SYMBOLS_BY_Z[int(z)]: float(v) for z, v in zip(_tok[::2], _tok[1::2], strict=True)}
del _tok
_MIEDEMA = _pairs(_MIEDEMA_NWS13)
_WS = _ws_density_table()

#: Element symbols this module knows (``"H"`` … ``"Lr"``, plus ``"D"`` and ``"T"``).
KNOWN_ELEMENTS: frozenset[str] = frozenset(_NUMBERS) | frozenset(_ISOTOPES)

#: Names accepted by :func:`element_property`.
PROPERTY_NAMES: tuple[str, ...] = ("electronegativity", "ws_density", "miedema_nws")
_PROPERTIES = {"electronegativity": _EN, "ws_density": _WS, "miedema_nws": _MIEDEMA}
_PROPERTY_LABELS = {
    "electronegativity": "Pauling electronegativity",
    "ws_density": "Wigner–Seitz valence-electron density",
    "miedema_nws": "Miedema Wigner–Seitz boundary electron density",
}

_UNKNOWN_COLOR = (1.0, 0.078, 0.576)  # deep pink, Jmol's colour for unknown atoms

#: The element symbol of unknown/dummy atoms (see the module docstring).
UNKNOWN_ELEMENT = "X"
#: Van der Waals radius (Å) of :data:`UNKNOWN_ELEMENT` atoms: RDKit's default of 2.0 Å.
UNKNOWN_RADIUS = 2.0


def _canonical(symbol: object) -> str:
    s = str(symbol).strip()
    s = s[:1].upper() + s[1:].lower()
    return _ISOTOPES.get(s, s)


def _as_symbols(symbols: Iterable[object] | str) -> np.ndarray:
    if isinstance(symbols, str):
        symbols = [symbols]
    return np.asarray(list(symbols), dtype=object).reshape(-1)


def _unknown(symbol: str) -> MolfieldError:
    return MolfieldError(
        f"Unknown element {symbol!r}: it is not an element symbol of the periodic table."
    )


def vdw_radius(symbols: Iterable[object] | str, strict: bool = True) -> np.ndarray:
    """Van der Waals radii in Å (RDKit's table); ``'D'`` and ``'T'`` count as H.

    The unknown-atom placeholder ``'X'`` has :data:`UNKNOWN_RADIUS` (2.0 Å).

    Parameters
    ----------
    symbols
        ``[A]`` element symbols (any capitalisation).
    strict
        Raise for unknown symbols; otherwise give NaN for them.

    Returns
    -------
    np.ndarray
        ``[A]`` float64 radii.

    Raises
    ------
    MolfieldError
        For an unknown symbol when ``strict``.
    """
    syms = _as_symbols(symbols)
    out = np.empty(syms.shape[0], dtype=np.float64)
    for i, raw in enumerate(syms):
        s = _canonical(raw)
        r = UNKNOWN_RADIUS if s == UNKNOWN_ELEMENT else _RVDW.get(s)
        if r is None:
            if strict:
                raise _unknown(str(raw).strip())
            r = np.nan
        out[i] = r
    return out


def atomic_number(symbols: Iterable[object] | str, strict: bool = True) -> np.ndarray:
    """Atomic numbers (``int64``); ``'D'``/``'T'`` give 1, ``'X'`` 0, other unknown symbols 0
    when not strict."""
    syms = _as_symbols(symbols)
    out = np.zeros(syms.shape[0], dtype=np.int64)
    for i, raw in enumerate(syms):
        s = _canonical(raw)
        z = 0 if s == UNKNOWN_ELEMENT else _NUMBERS.get(s)
        if z is None:
            if strict:
                raise _unknown(str(raw).strip())
            z = 0
        out[i] = z
    return out


def is_known_element(symbol: object) -> bool:
    """Whether ``symbol`` (any capitalisation) is a known element, ``D`` or ``T``."""
    return _canonical(symbol) in _NUMBERS


def element_property(name: str, symbols: Iterable[object] | str, strict: bool = True) -> np.ndarray:
    """A per-atom property from the element tables.

    Parameters
    ----------
    name
        One of :data:`PROPERTY_NAMES`:

        * ``"electronegativity"``: Pauling electronegativity (dimensionless).
        * ``"ws_density"``: valence-electron density of the element's Wigner–Seitz cell,
          n = Z_val / V_atom in **electrons per Å³**, with V_atom the volume per atom of
          the condensed elemental phase (Magpie ``AtomicVolume.table``; condensed-phase
          molar volumes for elements that are gases at STP) and Z_val the group-based
          valence count (see the module docstring). E.g. H ≈ 0.053, O ≈ 0.208,
          C ≈ 0.453 e/Å³. Defined for H–Cf except Kr, Xe, Rn, At, Fr.
        * ``"miedema_nws"``: Miedema's n_ws^(1/3) (de Boer et al. 1988), metals and a
          few non-metals only (no O, S, halogens).
    symbols
        ``[A]`` element symbols.
    strict
        Raise when an element has no value; otherwise give NaN for it. The unknown-atom
        placeholder ``'X'`` always gives 0.

    Returns
    -------
    np.ndarray
        ``[A]`` float64 values.

    Raises
    ------
    MolfieldError
        For an unknown property name, an unknown symbol, or (when ``strict``) an element
        that the table lacks (e.g. ``miedema_nws`` of O, ``ws_density`` of Xe).
    """
    table = _PROPERTIES.get(name)
    if table is None:
        raise MolfieldError(
            f"Unknown atomic property {name!r}: use one of {', '.join(PROPERTY_NAMES)}."
        )
    syms = _as_symbols(symbols)
    out = np.empty(syms.shape[0], dtype=np.float64)
    for i, raw in enumerate(syms):
        s = _canonical(raw)
        v = 0.0 if s == UNKNOWN_ELEMENT else table.get(s)
        if v is None:
            if s not in _NUMBERS:
                if strict:
                    raise _unknown(str(raw).strip())
            elif strict:
                raise MolfieldError(
                    f"The {_PROPERTY_LABELS[name]} ({name}) is not tabulated for element {s!r}."
                )
            v = np.nan
        out[i] = v
    return out


def element_color(symbol: object) -> tuple[float, float, float]:
    """Jmol CPK display colour of an element as RGB floats in 0..1 (pink if unknown)."""
    c = _COLORS.get(_canonical(symbol), _UNKNOWN_COLOR)
    return (float(c[0]), float(c[1]), float(c[2]))
