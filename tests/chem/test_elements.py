"""Element tables."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.elements import (
    KNOWN_ELEMENTS,
    PROPERTY_NAMES,
    atomic_number,
    element_color,
    element_property,
    vdw_radius,
)
from napari_molfield.errors import MolfieldError


def test_vdw_radii_match_rdkit() -> None:
    r = vdw_radius(np.array(["C", "H", "O", "N", "Cl", "D", "T", "cl"], dtype=object))
    assert r.dtype == np.float64
    np.testing.assert_allclose(r, [1.7, 1.2, 1.55, 1.6, 1.8, 1.2, 1.2, 1.8])
    from rdkit import Chem

    pt = Chem.GetPeriodicTable()
    for sym in ("Fe", "S", "Br", "I", "U", "Lr"):
        assert vdw_radius([sym])[0] == pytest.approx(pt.GetRvdw(sym))


def test_unknown_element_strict_and_lenient() -> None:
    with pytest.raises(MolfieldError, match="Unknown element 'Xx'"):
        vdw_radius(["C", "Xx"])
    r = vdw_radius(["C", "Xx"], strict=False)
    assert r[0] == 1.7 and np.isnan(r[1])


def test_electronegativity() -> None:
    en = element_property("electronegativity", ["O", "H", "C", "F", "D"])
    np.testing.assert_allclose(en, [3.44, 2.20, 2.55, 3.98, 2.20])


def test_ws_density_values() -> None:
    # Hand-computed from the tables in elements.py (n = Z_val / V_atom, e/Å³):
    #   H : 1 / (11.42 cm³/mol · 1e24 / 6.02214076e23 = 18.9633 Å³) = 0.052734
    #   O : 6 / (17.36 · 1.66054 = 28.8270 Å³)                     = 0.208138
    #   Cl: 7 / (17.39 · 1.66054 = 28.8768 Å³)                     = 0.242409
    #   C : 4 / 8.825 Å³ = 0.453258;  S : 6 / 27.167 = 0.220856;  Fe: 8 / 11.777 = 0.679290
    assert PROPERTY_NAMES == ("electronegativity", "ws_density", "miedema_nws")
    ws = element_property("ws_density", ["H", "O", "Cl", "C", "S", "Fe", "D"])
    np.testing.assert_allclose(
        ws, [0.052734, 0.208138, 0.242409, 0.453258, 0.220856, 0.679290, 0.052734], rtol=1e-4
    )
    # Ordering sanity: alkali metals are dilute, transition metals dense, H sparse.
    k, na, h, o, c, fe, cu = element_property("ws_density", ["K", "Na", "H", "O", "C", "Fe", "Cu"])
    assert k < na < h < o < c < fe < cu


def test_ws_density_covers_organic_and_biological_elements() -> None:
    elements = "H B C N O F Si P S Cl Se Br I Na K Mg Ca Zn Fe Mn Cu Co Ni He Ne Ar".split()
    ws = element_property("ws_density", elements)
    assert np.all(np.isfinite(ws)) and np.all(ws > 0)
    # Within 0.01–1.5 e/Å³: condensed-phase volumes, not gas-phase ones.
    assert np.all((ws > 0.01) & (ws < 1.5))


def test_ws_density_missing_and_miedema() -> None:
    with pytest.raises(MolfieldError, match=r"ws_density.*'Xe'"):
        element_property("ws_density", ["C", "Xe"])
    assert np.isnan(element_property("ws_density", ["Xe"], strict=False)[0])
    # Miedema's n_ws^(1/3) (de Boer 1988) stays available as miedema_nws, without O.
    mied = element_property("miedema_nws", ["H", "C", "N", "Fe"])
    np.testing.assert_allclose(mied, [1.50, 1.77, 1.65, 1.77])
    with pytest.raises(MolfieldError, match=r"miedema_nws.*'O'"):
        element_property("miedema_nws", ["C", "O"])
    assert np.isnan(element_property("miedema_nws", ["O"], strict=False)[0])
    with pytest.raises(MolfieldError, match="Unknown atomic property"):
        element_property("mass", ["C"])


def test_atomic_number_and_colors() -> None:
    np.testing.assert_array_equal(atomic_number(["H", "C", "Cl", "D", "U"]), [1, 6, 17, 1, 92])
    assert {"H", "C", "D", "T", "Lr"} <= KNOWN_ELEMENTS and "Xx" not in KNOWN_ELEMENTS
    assert element_color("C") == pytest.approx((0x90 / 255,) * 3)
    assert element_color("O") == pytest.approx((1.0, 0x0D / 255, 0x0D / 255))
    assert all(0.0 <= c <= 1.0 for c in element_color("Zz"))
