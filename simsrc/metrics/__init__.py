"""What a run reports: per-step metrics (MODEL.md §8), summaries over steps, energy series.

Pure functions of a run's ``StepRecord``s and ``Trajectory``; they sit above ``engine`` only.
"""
