"""Readers of measured running data: force plates (C3D, text), running watches (FIT), stride
tables, the shipped data files, and step detection in force recordings. No physics.
"""
