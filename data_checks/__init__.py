"""Great Expectations gate for the published tables (suites as code + a pandas runner).

Usage::

    from data_checks import validate
    report = validate(db_path, "2026-11-20", out_dir=warehouse / "validation" / "2026-11-20")
    if not report.passed:
        raise SystemExit("\\n".join(report.failure_lines()))
"""

from data_checks.runner import CheckResult, ValidationReport, validate, validate_table
from data_checks.suites import CONTRACTS, PUBLISHED_TABLES, build_suite, build_suites

__all__ = [
    "CONTRACTS",
    "PUBLISHED_TABLES",
    "CheckResult",
    "ValidationReport",
    "build_suite",
    "build_suites",
    "validate",
    "validate_table",
]
