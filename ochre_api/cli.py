"""``serve`` and ``token`` sub-commands.

The lead wires them into ``ochre_analytics/cli.py`` with ``add_parsers(subparsers)``;
until then ``python -m ochre_api serve|token ...`` runs them directly. Each
command's ``func(args)`` returns an exit code; errors are one line on stderr
and exit code 2.

Secrets: both commands read ``OCHRE_API_SECRET``. Without it they refuse to
run, unless ``--dev-secret`` is given: then a fixed, publicly known development
secret is used (never for anything reachable by others), and a warning says so.
A token made with ``token --dev-secret`` is accepted by ``serve --dev-secret``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from ochre_api.settings import SECRET_ENV, ConfigError, published_path, resolve_secret


class CommandError(Exception):
    """A user-facing failure; the message is one line."""


def _warehouse_help() -> str:
    return "warehouse directory (default: $OCHRE_WAREHOUSE_DIR or ./data/warehouse)"


def _dev_secret_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dev-secret",
        action="store_true",
        help=f"when {SECRET_ENV} is unset, use the built-in development secret (insecure)",
    )


def _secret(args: argparse.Namespace) -> str:
    secret = resolve_secret(allow_dev_default=args.dev_secret)
    if args.dev_secret and not os.environ.get(SECRET_ENV):
        print(
            f"warning: {SECRET_ENV} is unset; using the insecure development secret",
            file=sys.stderr,
        )
    return secret


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (CommandError, ConfigError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from exc
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {port}")
    return port


def _positive_hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of hours: {value!r}") from exc
    if not 0 < hours <= 24 * 366:
        raise argparse.ArgumentTypeError(f"--ttl-hours must be > 0 and <= 8784, got {value}")
    return hours


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line (instead of uvicorn's log) when the address is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CommandError(f"cannot resolve --host {host!r}: {exc.strerror}") from exc
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


@_guarded
def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API and page over the published file."""
    import uvicorn

    from ochre_api.app import create_app

    path = published_path(args.warehouse)
    app = create_app(path, secret=_secret(args))
    _check_port_free(args.host, args.port)
    if not path.is_file():
        print(
            f"note: {path} does not exist yet; the API answers 503 until the first publish",
            file=sys.stderr,
        )
    print(f"serving http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    except OSError as exc:  # e.g. port in use (uvicorn usually exits itself in that case)
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        if code:
            raise CommandError(f"server failed to start on {args.host}:{args.port}") from exc
    return 0


def _lookup_workspaces(path: Path, agent_id: str) -> list[tuple[str, str]]:
    from ochre_api.store import PublishedStore, PublishedUnavailable

    try:
        with PublishedStore(path).open() as db:
            rows = db.rows(
                "SELECT workspace_id, agent_status FROM agents WHERE agent_id = ? "
                "ORDER BY workspace_id",
                [agent_id],
            )
    except PublishedUnavailable as exc:
        raise CommandError(str(exc)) from exc
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CommandError(f"cannot read agents from {path}: {first}") from exc
    return [(r["workspace_id"], r["agent_status"]) for r in rows]


@_guarded
def cmd_token(args: argparse.Namespace) -> int:
    """Print a signed JWT for an agent."""
    from ochre_api.auth import issue_token

    secret = _secret(args)
    path = published_path(args.warehouse)
    workspace = args.workspace
    if path.is_file():
        found = _lookup_workspaces(path, args.agent)
        if workspace is None:
            if not found:
                raise CommandError(f"agent {args.agent!r} is not in the published agents table")
            if len(found) > 1:
                choices = ", ".join(w for w, _ in found)
                raise CommandError(f"agent {args.agent!r} is in several workspaces ({choices}); "
                                   "pass --workspace")
            workspace = found[0][0]
        elif workspace not in {w for w, _ in found}:
            raise CommandError(f"agent {args.agent!r} is not in workspace {workspace!r}")
        status = dict(found).get(workspace)
        if status and status != "active":
            print(f"warning: agent {args.agent!r} is {status}; the API will answer 403",
                  file=sys.stderr)
    elif workspace is None:
        raise CommandError(f"{path} does not exist yet; pass --workspace to make a token anyway")
    print(issue_token(secret, agent_id=args.agent, workspace_id=workspace,
                      ttl_seconds=args.ttl_hours * 3600))
    return 0


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``serve`` and ``token`` on an argparse sub-parsers object."""
    serve = subparsers.add_parser(
        "serve",
        help="serve the leaderboard API and page over the published file",
        description="Serve the read API (/api/...), its docs (/docs) and the page (/).",
    )
    serve.add_argument("--port", type=_port, default=8080, help="port (default 8080)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--warehouse", metavar="DIR", default=None, help=_warehouse_help())
    _dev_secret_arg(serve)
    serve.set_defaults(func=cmd_serve)

    token = subparsers.add_parser(
        "token",
        help="print a signed access token (JWT) for an agent",
        description="Print a bearer token for the API and the page. The agent's workspace is "
        "looked up in the published agents table unless --workspace is given.",
    )
    token.add_argument("--agent", required=True, metavar="ID", help="agent_id")
    token.add_argument("--workspace", metavar="ID", default=None, help="workspace_id")
    token.add_argument("--ttl-hours", type=_positive_hours, default=12.0,
                       help="validity in hours (default 12)")
    token.add_argument("--warehouse", metavar="DIR", default=None, help=_warehouse_help())
    _dev_secret_arg(token)
    token.set_defaults(func=cmd_token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ochre_api")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))
