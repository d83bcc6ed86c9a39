"""publish definitions of the Ochre code location."""
