"""Where the published file is and which secret signs tokens.

The published file is ``$OCHRE_WAREHOUSE_DIR/published/leaderboard.duckdb``
(``./data/warehouse`` by default), as in docs/architecture.md: the paths come from
the pipeline's settings (``ochre_analytics.config``), so both read one variable.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from urllib.parse import quote, urlsplit

from ochre_analytics.config import published_db_in, warehouse_dir_from_env

SECRET_ENV = "OCHRE_API_SECRET"
CONVERSATION_URL_ENV = "OCHRE_CONVERSATION_URL_TEMPLATE"
CONVERSATION_FIELD = "conversation_id"
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


def resolve_conversation_url_template(template: str | None = None) -> str | None:
    """The link to a conversation in the support app, as a template with
    ``{conversation_id}``: the argument, else ``OCHRE_CONVERSATION_URL_TEMPLATE``;
    None (no links) when both are unset or empty. Refuses anything but an absolute
    http(s) URL with exactly that one placeholder (e.g.
    ``https://app.example.com/conversations/{conversation_id}``)."""
    value = template if template is not None else os.environ.get(CONVERSATION_URL_ENV)
    if value is None or not value.strip():
        return None
    value = value.strip()
    example = "e.g. https://app.example.com/conversations/{conversation_id}"
    try:
        fields = [
            f + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
            for _, f, spec, conv in string.Formatter().parse(value)
            if f is not None
        ]
    except ValueError as exc:
        raise ConfigError(f"{CONVERSATION_URL_ENV} is not a valid template ({exc}); {example}") \
            from exc
    if fields != [CONVERSATION_FIELD]:
        shown = ", ".join("{" + f + "}" for f in fields) or "none"
        raise ConfigError(
            f"{CONVERSATION_URL_ENV} must hold {{{CONVERSATION_FIELD}}} exactly once and no "
            f"other placeholder (found {shown}); {example}"
        )
    parts = urlsplit(value.replace("{" + CONVERSATION_FIELD + "}", "x"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{CONVERSATION_URL_ENV} must be an absolute http:// or https:// URL; {example}"
        )
    return value


def conversation_url(template: str | None, conversation_id: str) -> str | None:
    """The link to one conversation: the id percent-encoded into the template (so no id
    can change the URL's structure); None without a template."""
    if template is None:
        return None
    return template.format(**{CONVERSATION_FIELD: quote(conversation_id, safe="")})
