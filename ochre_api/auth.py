"""Bearer JWT (HS256) identity.

The token says *who* (``workspace_id``, ``agent_id``) and until when (``exp``).
It never says what the viewer may see: the role and status come from the
published ``agents`` table on every request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("workspace_id", "agent_id", "exp")


class TokenError(Exception):
    """The token is missing, malformed, forged or expired (one-line message)."""


@dataclass(frozen=True)
class Claims:
    workspace_id: str
    agent_id: str
    exp: int


def issue_token(
    secret: str, *, agent_id: str, workspace_id: str, ttl_seconds: float = 12 * 3600
) -> str:
    now = int(time.time())
    payload = {
        "workspace_id": workspace_id,
        "agent_id": agent_id,
        "iat": now,
        "exp": now + int(ttl_seconds),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid token") from exc
    workspace_id, agent_id = payload.get("workspace_id"), payload.get("agent_id")
    if not isinstance(workspace_id, str) or not isinstance(agent_id, str):
        raise TokenError("invalid token: workspace_id and agent_id must be strings")
    if not workspace_id or not agent_id:
        raise TokenError("invalid token: empty workspace_id or agent_id")
    return Claims(workspace_id=workspace_id, agent_id=agent_id, exp=int(payload["exp"]))
