"""`make bench`: the pipeline against the one-query floor (see benchmarks/README.md)."""
