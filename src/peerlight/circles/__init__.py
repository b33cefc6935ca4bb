"""Circles: peer-led support groups with recurring meetings and group rooms."""
