"""Elements of atoms from residue and atom names, for files without element columns.

CHARMM/NAMD and GROMACS PDB files, GRO, PQR and PSF files name atoms but give no element.
Taking the first two letters of a name as an element turns arginine ``NH1`` into
nihonium, serine ``OG`` into oganesson and cysteine ``SG`` into seaborgium. Here, as MD
tools do, the residue decides how a name is read:

* **standard residues** (amino acids with their MD protonation/terminal variants,
  nucleotides, water): the first letter of the name, after leading digits (``1HB`` → H),
  when it is an element these residues hold (H, D, C, N, O, S, P); coarse-grained beads
  (MARTINI ``BB``, ``BB1``, ``SC1`` …, a ``B`` or a side chain ``S`` that is no sulfur)
  are dummy atoms;
* **ions** (single-atom residues such as ``NA``, ``CL``, ``CA``, CHARMM's ``SOD``, ``CLA``,
  ``POT``, ``CAL``, AMBER's ``Na+``, ``Cl-``): the element the residue name stands for;
* **other residues** (ligands, lipids, modified residues): ``CL``/``BR`` and a short list
  of metals and selenium that appear in ligands (``FE`` in HEM, ``MG`` in chlorophyll,
  ``SE`` in MSE) are read as two-letter elements; every other name by its first letter;
* **dummy atoms** (``X``, ``DU``/``DUM``, lone pairs ``LP*``, TIP4P/5P sites ``MW``, ``EP``,
  virtual sites ``VS``) and names whose letter is no element give
  :data:`~napari_molfield.chem.elements.UNKNOWN_ELEMENT` (``"X"``).

``D`` stays deuterium (which the element tables and field channels count as hydrogen).
"""

from __future__ import annotations

from collections.abc import Sequence

from .elements import UNKNOWN_ELEMENT, is_known_element

#: Amino-acid residue names, with AMBER/CHARMM/GROMACS protonation and terminal variants.
AMINO_ACIDS: frozenset[str] = frozenset(
    """ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL
    HSD HSE HSP HID HIE HIP HISD HISE HISH HISA HISB HIS1 HIS2 CYX CYM CYS2 CYSH ASH ASPH
    GLH GLUH LYN LSN LYSH ARN ACE NME NMA NH2 PYL UNK""".split()
)
#: Nucleotide residue names (PDB, AMBER ``DA5``/``RA3`` ends, CHARMM/GROMACS long names).
NUCLEOTIDES: frozenset[str] = frozenset(
    """A C G U T I DA DC DG DT DU DI RA RC RG RU ADE CYT GUA THY URA
    DA5 DA3 DC5 DC3 DG5 DG3 DT5 DT3 RA5 RA3 RC5 RC3 RG5 RG3 RU5 RU3 A5 A3 C5 C3 G5 G3 U5 U3
    DAN DCN DGN DTN RAN RCN RGN RUN""".split()
)
#: Water residue names of PDB files and MD force fields.
WATERS: frozenset[str] = frozenset(
    """HOH WAT H2O DOD HHO OHH OH2 TIP TIP2 TIP3 TIP4 TIP5 T3P T4P T5P SOL SPC SPCE SPC/E
    TP3 TP4 TP5 TIP3P TIP4P TIP5P OPC W""".split()
)
#: Single-atom ion residue names → element.
ION_RESIDUES: dict[str, str] = {
    "NA": "Na", "SOD": "Na", "NA+": "Na", "NAP": "Na", "LI": "Li", "LIT": "Li", "LI+": "Li",
    "K": "K", "POT": "K", "K+": "K", "KP": "K", "RB": "Rb", "RB+": "Rb", "CS": "Cs",
    "CES": "Cs", "CS+": "Cs", "CL": "Cl", "CLA": "Cl", "CL-": "Cl", "CIM": "Cl", "BR": "Br",
    "BR-": "Br", "IOD": "I", "I-": "I", "F": "F", "F-": "F", "CA": "Ca", "CAL": "Ca",
    "CA2": "Ca", "CA+2": "Ca", "C0": "Ca", "MG": "Mg", "MG2": "Mg", "MG+2": "Mg", "ZN": "Zn",
    "ZN2": "Zn", "ZN+2": "Zn", "FE": "Fe", "FE2": "Fe", "FE3": "Fe", "MN": "Mn", "MN3": "Mn",
    "CO": "Co", "3CO": "Co", "NI": "Ni", "CU": "Cu", "CU1": "Cu", "CU2": "Cu", "CD": "Cd",
    "CD2": "Cd", "HG": "Hg", "SR": "Sr", "BA": "Ba", "BAR": "Ba", "AL": "Al", "TL": "Tl",
    "PB": "Pb", "PT": "Pt", "AU": "Au", "AG": "Ag", "YB": "Yb", "SM": "Sm", "GD": "Gd",
}
# Two-letter elements read from atom names of non-standard residues.
_TWO_LETTER = frozenset(
    "CL BR FE ZN MG MN CU CO NI SE MO PT AU AG SI AS RU IR OS LI".split()
)
# Names (letters only, upper case) of dummy atoms, lone pairs and virtual sites.
_DUMMY_PREFIXES = ("LP", "DU", "EP", "VS", "MW", "XX")
# Elements of standard residues (amino acids, nucleotides, water; D is deuterium).
_STANDARD_ELEMENTS = frozenset("H D C N O S P".split())
# Coarse-grained bead names (letters only) in standard residues: MARTINI backbone and
# side-chain beads.
_BEADS = frozenset(("BB", "SC"))


def _letters(name: str) -> str:
    """Upper-case letters of ``name`` after leading digits, up to the next non-letter."""
    s = name.strip().upper().lstrip("0123456789")
    out = []
    for ch in s:
        if not ch.isalpha():
            break
        out.append(ch)
    return "".join(out)


def is_standard_residue(residue: str) -> bool:
    """Whether ``residue`` is a standard amino acid, nucleotide or water (MD names too)."""
    r = residue.strip().upper()
    return r in AMINO_ACIDS or r in NUCLEOTIDES or r in WATERS


def ion_element(residue: str, atom_name: str) -> str | None:
    """The element of a single-atom ion residue (``CLA``/``CLA`` → ``Cl``), else None."""
    r = residue.strip().upper()
    el = ION_RESIDUES.get(r)
    if el is None:
        return None
    letters = _letters(atom_name)
    if letters in (_letters(r), el.upper()) or atom_name.strip().upper() == r:
        return el
    return None


def guess_element(residue: str, atom_name: str) -> str:
    """The element of atom ``atom_name`` in residue ``residue`` (``"X"`` when unknown).

    Parameters
    ----------
    residue
        Residue name (``"ARG"``, ``"TIP3"``, ``"SOD"``).
    atom_name
        Atom name (``"NH1"``, ``"1HB"``, ``"CLA"``).

    Returns
    -------
    str
        An element symbol (``"N"``, ``"Cl"``, ``"D"``) or ``"X"``.
    """
    ion = ion_element(residue, atom_name)
    if ion is not None:
        return ion
    letters = _letters(atom_name)
    if not letters or letters == "X" or letters.startswith(_DUMMY_PREFIXES):
        return UNKNOWN_ELEMENT
    if is_standard_residue(residue):
        if letters in _BEADS or letters[0] not in _STANDARD_ELEMENTS:
            return UNKNOWN_ELEMENT
    elif letters[:2] in _TWO_LETTER:
        return letters[0] + letters[1].lower()
    first = letters[0]
    return first if is_known_element(first) else UNKNOWN_ELEMENT


def guess_elements(residues: Sequence[str], atom_names: Sequence[str]) -> list[str]:
    """:func:`guess_element` for every atom (residue and atom names of equal length)."""
    cache: dict[tuple[str, str], str] = {}
    out = []
    for r, a in zip(residues, atom_names, strict=True):
        key = (str(r), str(a))
        if key not in cache:
            cache[key] = guess_element(*key)
        out.append(cache[key])
    return out
