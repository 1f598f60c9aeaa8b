"""Config files: the key schema (units, bounds, defaults), TOML reading and writing, sweep grids,
and the one conversion from a config to ``Params``, ``State`` and ``Options``.
"""
