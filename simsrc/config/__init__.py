"""Config files: the key schema (units, bounds, defaults), TOML reading and writing, sweep grids,
the one conversion from a config to ``Params``, ``State`` and ``Options``, the one path from a
config to a simulated run (``runner``) and the fit pipeline of a fit config (``fit_pipeline``).
"""
