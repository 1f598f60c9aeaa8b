"""The physics: pure JAX functions of one parameter PyTree (``Params``) and one state.

``params`` (parameters, bounds, defaults) -> ``surface``, ``leg``, ``flight``, ``swing`` (the laws)
-> ``stance``, ``integrators``, ``liftoff`` (one contact phase) -> ``step``, ``ledger`` (one
apex-to-apex step and its energy account) -> ``simulate`` (the checked, batched entry point).
Imports no I/O, plotting or config code and never prints (MODEL.md §2-§7).
"""
