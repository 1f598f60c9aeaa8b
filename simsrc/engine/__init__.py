"""The physics: pure JAX functions of one parameter PyTree (``Params``) and one state.

``frame`` (gravity on a slope, the landing angle) and ``surface`` (the ground's law and presets)
-> ``params`` (the table of every parameter's unit, default and bounds; the default runner and
the canonical case) -> ``leg``, ``flight``, ``swing`` (the laws) -> ``stance``, ``integrators``,
``liftoff`` (one contact phase) -> ``step``, ``ledger`` (one apex-to-apex step and its energy
account) -> ``simulate`` (the checked, batched entry point). Each law is written in one place.
Imports no I/O, plotting or config code and never prints (MODEL.md §2-§7).
"""
