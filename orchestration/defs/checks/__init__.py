"""checks definitions of the Ochre code location."""
