"""The auto-decoder: one shared modulated SIREN and one latent per item (a complex, the
conformers of an ensemble, a set of molecules), fitted to their exact Eq. 1 fields.

=================  ===========================================================
module             role
=================  ===========================================================
``config``         `FitConfig` and the named presets
``model``          `FittedModel` (network, latents, items, stored atoms)
``checkpoint``     `save_model` / `load_model`
``fit``            `fit` (a generator of `FitProgress`), `fit_model`
``decode``         `decode` at any resolution, `decode_points`, `truth_field`
=================  ===========================================================

Training points come from `napari_molfield.fields.pools`, shared with the auto-encoder.
"""
