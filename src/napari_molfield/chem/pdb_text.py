"""PDB-like text before gemmi parses it: missing elements, PQR and PDBQT records.

* PDB files from CHARMM/NAMD/GROMACS have no element columns (77–78); gemmi would guess
  from the atom name (``NH1`` → nihonium). :func:`fill_pdb_elements` writes the element
  that :func:`~napari_molfield.chem.guess_elements.guess_element` infers from the residue
  and atom name into those columns.
* PQR (PDB2PQR, APBS) has whitespace-separated ``ATOM`` records with charge and radius in
  place of occupancy and B-factor; :func:`pqr_to_pdb` rewrites them as PDB records.
* PDBQT (AutoDock, Vina) has AutoDock atom types (``A``, ``OA``, ``HD``, ``NA``) after
  column 77 and ``ROOT``/``BRANCH``/``TORSDOF`` records; :func:`pdbqt_to_pdb` gives PDB
  records with the element of each type. Docking poses (``MODEL``) stay models.
* :func:`cut_short_note` names a file cut at a line boundary (it still parses);
* :func:`check_atom_records` refuses atom records cut before the end of their
  coordinates or with coordinates that are not numbers (gemmi reads ``1.2x3`` as 1.2
  and a cut record as atoms at 0); :func:`normalise_models` reads ``MODEL`` records as MD
  tools do: a ``MODEL`` without ``ENDMDL`` ends at the next ``MODEL``, and repeated model
  numbers are numbered in file order.
"""

from __future__ import annotations

import re

from ..errors import MolfieldError
from .elements import UNKNOWN_ELEMENT, is_known_element
from .guess_elements import guess_element

_ATOM_RECORDS = ("ATOM  ", "HETATM")
# AutoDock 4 atom types → element (types that are elements map to themselves).
_AD_TYPES = {
    "A": "C", "C": "C", "OA": "O", "OS": "O", "NA": "N", "NS": "N", "N": "N", "SA": "S",
    "S": "S", "HD": "H", "HS": "H", "H": "H", "P": "P", "F": "F", "CL": "Cl", "BR": "Br",
    "I": "I", "MG": "Mg", "CA": "Ca", "MN": "Mn", "FE": "Fe", "ZN": "Zn", "CU": "Cu",
    "NI": "Ni", "CO": "Co", "K": "K", "NA+": "Na", "SI": "Si", "B": "B", "SE": "Se",
}
_PDBQT_SKIP = ("ROOT", "ENDROOT", "BRANCH", "ENDBRANCH", "TORSDOF")
# One coordinate field as gemmi may read it, strictly: a decimal number, nan or inf.
_COORD = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*|\s*[-+]?(?:nan|inf)\s*",
                    re.IGNORECASE)


def _is_atom(line: str) -> bool:
    """An ``ATOM``/``HETATM`` record as gemmi takes it (any case, serial may touch)."""
    return line[:4].upper() == "ATOM" or line[:6].upper() == "HETATM"


def ascii_text(text: str) -> str:
    """``text`` with every non-ASCII character as ``?`` (PDB-like formats are ASCII and
    column-based; gemmi counts bytes, so a multi-byte character would move columns)."""
    return text if text.isascii() else text.encode("ascii", "replace").decode("ascii")


def check_atom_records(text: str, label: str) -> None:
    """Refuse atom records without three numeric coordinates in columns 31–54.

    Raises
    ------
    MolfieldError
        Naming the line, for a record cut short or a coordinate that is not a number.
    """
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not _is_atom(line):
            continue
        body = line.rstrip()
        record = body[:6].strip() or "ATOM"
        if len(body) < 54:
            raise MolfieldError(
                f"{label}, line {lineno}: the {record} record ends at column {len(body)}, "
                "before the end of its coordinates (column 54); is the file cut short?"
            )
        for k, axis in enumerate("xyz"):
            value = line[30 + 8 * k: 38 + 8 * k]
            if not _COORD.fullmatch(value):
                raise MolfieldError(
                    f"{label}, line {lineno}: the {axis} coordinate of the {record} record "
                    f"(columns {31 + 8 * k}–{38 + 8 * k}) reads {value.strip()!r}, not a number."
                )


def cut_short_note(text: str, label: str) -> str | None:
    """A sentence when a PDB text looks cut at a line boundary, else None.

    Every PDB writer we know of (the PDB, gemmi, RDKit, Open Babel, MDAnalysis, PyMOL)
    ends with ``END`` (or ``ENDMDL``/``MASTER``); a file whose last record is an atom
    record and that has none of them was most likely cut short (a download or a copy
    stopped): its atoms read, it says how many and where it stopped. A file ending with
    ``TER`` is taken as complete (some tools stop there).
    """
    lines = [(k, line) for k, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines or not _is_atom(lines[-1][1]):
        return None
    if any(line[:3].upper() == "END" or line[:6].upper() == "MASTER" for _, line in lines):
        return None
    n = sum(1 for _, line in lines if _is_atom(line))
    return (f"{label}: the file stops after {n} atom records, at line {lines[-1][0]}, with "
            "no END record; it may be cut short (the atoms read are shown).")


def normalise_models(text: str) -> tuple[str, bool]:
    """PDB text whose models gemmi reads as MD tools do.

    Every ``MODEL`` still open at the next ``MODEL`` gets its ``ENDMDL``; when model
    numbers repeat (or are not numbers), all models are numbered 1, 2, … in file order.

    Returns
    -------
    text, renumbered
        The new text and whether the models were renumbered.
    """
    lines = text.splitlines()
    heads = [i for i, ln in enumerate(lines) if ln[:6].upper().rstrip() == "MODEL"]
    if not heads:
        return text, False
    numbers = [lines[i][5:].strip() for i in heads]
    renumber = len(set(numbers)) < len(numbers) or not all(n.isdigit() for n in numbers)
    out: list[str] = []
    open_model = False
    k = 0
    for line in lines:
        tag = line[:6].upper().rstrip()
        if tag == "MODEL":
            if open_model:
                out.append("ENDMDL")
            k += 1
            out.append(f"MODEL     {k:4d}" if renumber else line)
            open_model = True
            continue
        if tag == "ENDMDL":
            open_model = False
        out.append(line)
    return "\n".join([*out, ""]), renumber


def _with_element(line: str, element: str) -> str:
    body = line.rstrip("\r\n")[:76].ljust(76)
    return f"{body}{element.upper():>2s}"


def fill_pdb_elements(text: str) -> tuple[str, int]:
    """PDB text with the element columns filled in where they are blank.

    Returns
    -------
    text, n_guessed
        The new text and the number of atoms whose element was inferred.
    """
    lines = text.splitlines()
    n = 0
    for i, line in enumerate(lines):
        if not _is_atom(line) or line[76:78].strip():
            continue
        lines[i] = _with_element(line, guess_element(line[17:21].strip(), line[12:16]))
        n += 1
    return ("\n".join(lines) + "\n", n) if n else (text, 0)


def _pdb_line(
    record: str, serial: int, name: str, res: str, chain: str, resseq: str,
    xyz: tuple[float, float, float], element: str,
) -> str:
    name = name[:4]
    aligned = f" {name:<3s}" if len(name) < 4 and len(element) == 1 else f"{name:<4s}"
    try:
        num, icode = int(resseq), " "
    except ValueError:
        num, icode = int(resseq[:-1]), resseq[-1]
    x, y, z = (_column8(v) for v in xyz)
    return (
        f"{record:<6s}{serial % 100000:5d} {aligned}{' '}{res[:4]:<4s}{chain[:1] or ' '}"
        f"{num % 10000:4d}{icode}   {x}{y}{z}{1.0:6.2f}{0.0:6.2f}"
        f"          {element.upper():>2s}"
    )


def _column8(value: float) -> str:
    """``value`` in the 8 columns of a PDB coordinate, with as many decimals as fit.

    Raises
    ------
    ValueError
        When even the integer part does not fit.
    """
    for decimals in (3, 2, 1, 0):
        text = f"{value:8.{decimals}f}"
        if len(text) == 8:
            return text
    raise ValueError(f"coordinate {value:g} does not fit a PDB record")


def pqr_to_pdb(text: str, label: str) -> str:
    """PQR text (whitespace-separated, chain optional) as PDB text with elements.

    Raises
    ------
    MolfieldError
        For an ``ATOM``/``HETATM`` record that is not a PQR atom record.
    """
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.startswith(("ATOM", "HETATM")):
            if line.startswith(("MODEL", "ENDMDL", "END", "TER")):
                out.append(line)
            continue
        tok = line.split()
        try:
            if len(tok) == 11:
                rec, serial, name, res, chain, resseq = tok[:6]
            elif len(tok) == 10:
                rec, serial, name, res, resseq = tok[:5]
                chain = ""
            else:
                raise ValueError
            x, y, z = (float(v) for v in tok[-5:-2])
            float(tok[-2]), float(tok[-1])  # charge, radius
            out.append(
                _pdb_line(rec, int(serial), name, res, chain, resseq, (x, y, z),
                          guess_element(res, name))
            )
        except ValueError:
            raise MolfieldError(
                f"{label}, line {lineno}: expected a PQR atom record 'ATOM serial name residue "
                f"[chain] number x y z charge radius', got {line.strip()!r}."
            ) from None
    return "\n".join([*out, ""])


def ad_type_element(ad_type: str) -> str:
    """The element of an AutoDock atom type (``OA`` → ``O``; ``"X"`` when unknown)."""
    t = ad_type.strip().upper()
    el = _AD_TYPES.get(t)
    if el is not None:
        return el
    if t[:1] == "G" or t[:2] == "CG":  # macrocycle glue/closure carbons (G0, CG0)
        return "C"
    cand = t[:1] + t[1:].lower()
    return cand if is_known_element(cand) else UNKNOWN_ELEMENT


def pdbqt_to_pdb(text: str) -> str:
    """PDBQT text as PDB text: elements from the AutoDock types, tree records dropped."""
    out = []
    for line in text.splitlines():
        if line.startswith(_PDBQT_SKIP):
            continue
        if _is_atom(line):
            ad = line[77:79].strip() or line[76:79].strip()
            body = line[:66].ljust(66)
            el = ad_type_element(ad) if ad else guess_element(line[17:21], line[12:16])
            out.append(f"{body}          {el.upper():>2s}")
        else:
            out.append(line)
    return "\n".join([*out, ""])
