"""Building: from a plan to a working credential (flavors, builders, assembly, pickling)."""
