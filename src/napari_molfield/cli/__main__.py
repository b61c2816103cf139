"""``python -m napari_molfield.cli`` (what ``torchrun`` runs)."""

import sys

from .main import main

sys.exit(main())
