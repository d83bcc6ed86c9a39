"""The parts of the code location: assets, checks, partitions, jobs, schedules, resources."""
