"""Periodic gaits: fixed points of the apex-to-apex map and their Floquet multipliers (MODEL.md §9).

Built on ``engine.step.step``; the batching and Newton iterations live here.
"""
