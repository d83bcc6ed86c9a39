"""The serve and token sub-commands (ochre_api.cli)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
from api_fixtures import SECRET, publish

from ochre_api.cli import main
from ochre_api.settings import DEV_SECRET

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wh = tmp_path_factory.mktemp("cli-wh")
    publish(wh / "published" / "leaderboard.duckdb")
    return wh


@pytest.fixture()
def with_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCHRE_API_SECRET", SECRET)


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def test_token_looks_up_the_workspace(with_secret, warehouse: Path, capsys) -> None:
    assert main(["token", "--agent", "w2_admin", "--warehouse", str(warehouse)]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert (claims["agent_id"], claims["workspace_id"]) == ("w2_admin", "w2")
    assert 12 * 3600 - 5 <= claims["exp"] - time.time() <= 12 * 3600


def test_token_ttl_and_explicit_workspace(with_secret, warehouse: Path, capsys) -> None:
    args = ["token", "--agent", "w1_agent", "--workspace", "w1", "--ttl-hours", "1",
            "--warehouse", str(warehouse)]
    assert main(args) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"])
    assert claims["workspace_id"] == "w1"
    assert 3600 - 5 <= claims["exp"] - time.time() <= 3600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "nobody"], "not in the published agents table"),
        (["--agent", "w1_agent", "--workspace", "w2"], "not in workspace 'w2'"),
    ],
)
def test_token_errors(with_secret, warehouse: Path, capsys, args, message) -> None:
    assert main(["token", *args, "--warehouse", str(warehouse)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in one_error_line(captured.err)


def test_token_without_published_file(with_secret, tmp_path: Path, capsys) -> None:
    assert main(["token", "--agent", "a1", "--warehouse", str(tmp_path)]) == 2
    assert "pass --workspace" in one_error_line(capsys.readouterr().err)
    assert main(["token", "--agent", "a1", "--workspace", "w9", "--warehouse", str(tmp_path)]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"])
    assert claims["workspace_id"] == "w9"


def test_secret_required_unless_dev_secret(
    monkeypatch: pytest.MonkeyPatch, warehouse: Path, capsys
) -> None:
    monkeypatch.delenv("OCHRE_API_SECRET", raising=False)
    for command in (["token", "--agent", "w1_admin"], ["serve", "--port", "1"]):
        assert main([*command, "--warehouse", str(warehouse)]) == 2
        assert "OCHRE_API_SECRET is not set" in one_error_line(capsys.readouterr().err)
    assert main(["token", "--agent", "w1_admin", "--warehouse", str(warehouse),
                 "--dev-secret"]) == 0
    captured = capsys.readouterr()
    assert "insecure development secret" in captured.err
    jwt.decode(captured.out.strip(), DEV_SECRET, algorithms=["HS256"])


def test_serve_port_in_use(with_secret, warehouse: Path, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--port", str(port), "--warehouse", str(warehouse)])
    assert code == 2
    assert "cannot listen" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("javascript:alert(1)//{conversation_id}", "absolute http:// or https:// URL"),
        ("https://app.example.com/conversations/{id}", "found {id}"),
        ("https://app.example.com/conversations/", "found none"),
        ("https://app.example.com/c/{conversation_id", "not a valid template"),
    ],
)
def test_serve_refuses_a_bad_conversation_url_template(
    with_secret, warehouse: Path, capsys, monkeypatch, template: str, message: str
) -> None:
    monkeypatch.setenv("OCHRE_CONVERSATION_URL_TEMPLATE", template)
    code = main(["serve", "--port", str(free_port()), "--warehouse", str(warehouse)])
    assert code == 2
    line = one_error_line(capsys.readouterr().err)
    assert "OCHRE_CONVERSATION_URL_TEMPLATE" in line and message in line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_the_app(warehouse: Path) -> None:
    port = free_port()
    env = {**os.environ, "OCHRE_API_SECRET": SECRET, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ochre_api", "serve", "--port", str(port),
         "--warehouse", str(warehouse)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        token = subprocess.run(
            [sys.executable, "-m", "ochre_api", "token", "--agent", "w1_admin",
             "--warehouse", str(warehouse)],
            cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=60,
        ).stdout.strip()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = proc.stderr.read().decode() if proc.stderr else ""
                    raise AssertionError(f"serve did not come up: {log}") from None
                time.sleep(0.1)
        assert resp.status_code == 200
        assert resp.json()["agent_role"] == "admin"
        assert httpx.get(f"{base}/").status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
