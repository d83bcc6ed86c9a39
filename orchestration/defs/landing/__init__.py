"""landing definitions of the Ochre code location."""
