"""Drawing: the shared figure style, run and sweep plots, fit plots and animations."""
