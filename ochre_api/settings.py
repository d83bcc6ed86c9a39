"""Where the published file is and which secret signs tokens.

The published file is ``$OCHRE_WAREHOUSE_DIR/published/leaderboard.duckdb``
(``./data/warehouse`` by default), as in docs/architecture.md: the paths come from
the pipeline's settings (``ochre_analytics.config``), so both read one variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from ochre_analytics.config import published_db_in, warehouse_dir_from_env

SECRET_ENV = "OCHRE_API_SECRET"
MIN_SECRET_BYTES = 32
# Well known, so never safe: only used when a person passes --dev-secret to
# `serve` / `token` and OCHRE_API_SECRET is unset.
DEV_SECRET = "ochre-dev-secret-not-for-production-use"


class ConfigError(Exception):
    """A setting is missing or unusable; the message is one line."""


def published_path(warehouse: str | os.PathLike[str] | None = None) -> Path:
    """The published file of `warehouse`, else of ``$OCHRE_WAREHOUSE_DIR`` / ./data/warehouse."""
    return published_db_in(warehouse_dir_from_env(warehouse))


def resolve_secret(secret: str | None = None, *, allow_dev_default: bool = False) -> str:
    """The signing secret: the argument, else OCHRE_API_SECRET, else (only when
    explicitly allowed) the development default. Refuses anything shorter than
    32 bytes, the minimum for HS256 (RFC 7518 section 3.2)."""
    value = secret if secret is not None else os.environ.get(SECRET_ENV)
    if not value:
        if not allow_dev_default:
            raise ConfigError(
                f"{SECRET_ENV} is not set; set it to a random string of at least "
                f"{MIN_SECRET_BYTES} bytes (or pass --dev-secret for local development)"
            )
        value = DEV_SECRET
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"{SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes long")
    return value
