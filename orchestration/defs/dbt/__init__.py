"""dbt definitions of the Ochre code location."""
