"""Madoguchi: a remote counter (リモート窓口) for municipalities."""
