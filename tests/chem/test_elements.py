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


def test_ws_density_and_missing_values() -> None:
    assert PROPERTY_NAMES == ("electronegativity", "ws_density")
    ws = element_property("ws_density", ["H", "C", "N", "Fe"])
    np.testing.assert_allclose(ws, [1.50, 1.77, 1.65, 1.77])
    with pytest.raises(MolfieldError, match=r"ws_density.*'O'"):
        element_property("ws_density", ["C", "O"])
    assert np.isnan(element_property("ws_density", ["O"], strict=False)[0])
    with pytest.raises(MolfieldError, match="Unknown atomic property"):
        element_property("mass", ["C"])


def test_atomic_number_and_colors() -> None:
    np.testing.assert_array_equal(atomic_number(["H", "C", "Cl", "D", "U"]), [1, 6, 17, 1, 92])
    assert {"H", "C", "D", "T", "Lr"} <= KNOWN_ELEMENTS and "Xx" not in KNOWN_ELEMENTS
    assert element_color("C") == pytest.approx((0x90 / 255,) * 3)
    assert element_color("O") == pytest.approx((1.0, 0x0D / 255, 0x0D / 255))
    assert all(0.0 <= c <= 1.0 for c in element_color("Zz"))
