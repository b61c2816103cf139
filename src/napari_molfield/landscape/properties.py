"""Per-item properties to colour a latent map by: which come first, and their labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Properties offered first, in this order, when the dataset has them.
PREFERRED = ("dG_hyd", "MolMR", "ExactMolWt", "TPSA", "MolLogP", "NumRotatableBonds")
#: Axis and colour-bar labels of known properties (others are shown by their name).
LABELS = {"dG_hyd": "hydration free energy (kcal/mol)", "dG_calc": "calculated ΔG (kcal/mol)",
          "ExactMolWt": "exact mol. weight (Da)", "TPSA": "TPSA (Å²)",
          "MolMR": "molar refractivity", "MolLogP": "logP (Crippen)",
          "NumRotatableBonds": "rotatable bonds", "split": "split (0 train, 1 val, 2 test)"}


def property_order(props: Mapping[str, Any]) -> list[str]:
    """Property names: hydration free energy and RDKit descriptors first (`PREFERRED`),
    then the rest alphabetically."""
    first = [k for k in PREFERRED if k in props]
    return first + sorted(k for k in props if k not in first)


def property_label(name: str) -> str:
    """The label of property ``name`` (its name when unknown)."""
    return LABELS.get(name, name)


__all__ = ["LABELS", "PREFERRED", "property_label", "property_order"]
