"""Fitting the model to measured strides: model parameters and bounds, starting guesses, a
batched Levenberg-Marquardt solver, fits to force curves, stride metrics and watch files, and
their results in display units (``report``).
"""
