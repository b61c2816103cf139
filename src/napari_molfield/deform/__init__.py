"""Deformable (conformational) neural fields: ensembles of the same atoms — two crystal
states, NMR models, MD frames — as a template field seen through a latent-conditioned
displacement field, ``f(x; z) = T(x + D(x, z))`` (as in DynaMight, cryoSPARC 3DFlex,
Nerfies/D-NeRF). Interpolating ``z`` moves density (and atoms) instead of cross-fading.

=================  ===========================================================
module             role
=================  ===========================================================
``choice``         `wants_deform`: which model kind a fit of some inputs wants
``config``         `DeformConfig`, `DeformFitConfig` and the named presets
``ensemble``       molecules with the same atoms → one ensemble; template atoms
``model``          `DeformModel` (its network: `nn.deform_net.DeformNet`)
``steps``          minibatches, losses, evaluation of one fit step
``fit``            `fit_deform` (a generator of `DeformProgress`), `fit_deform_model`
``decode``         `decode_deform`, `decode_points`, `displacement`, `atoms_at`,
                   `truth_field`
``interpolate``    `interpolator`: fields and atoms along a latent path
``checkpoint``     `save_deform` / `load_deform`
=================  ===========================================================
"""

from .choice import MODEL_KINDS, wants_deform

__all__ = ["MODEL_KINDS", "wants_deform"]
