"""The page in a real headless Chromium (Debian's /usr/bin/chromium), driven by Playwright.

Needs `apt-get install -y chromium chromium-driver`; Playwright's Python wheel
brings its own driver and never downloads a browser here. Screenshots go to
tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import SECRET, publish, running_server
from fastapi.testclient import TestClient

from ochre_analytics.report import format_seconds
from ochre_api import create_app
from ochre_api.auth import issue_token

CHROMIUM = os.environ.get("OCHRE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DURATION = re.compile(r"^(—|\d+s|\d+m \d\ds|\d+h \d\dm|\d+d \d\dh)$")
CONVERSATION_URL = "https://app.example.com/conversations/{conversation_id}"
CSAT = re.compile(r"^(—|\d\.\d) \(\d+\)$")


@pytest.fixture(scope="module")
def chromium() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get update && apt-get install -y chromium chromium-driver`",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, TestClient]]:
    published = publish(tmp_path_factory.mktemp("browser") / "published" / "leaderboard.duckdb")
    app = create_app(published, secret=SECRET, conversation_url_template=CONVERSATION_URL)
    with running_server(app) as base:
        yield base, TestClient(app)


@pytest.fixture(scope="module")
def server_without_links(server, monkeypatch_module) -> Iterator[str]:
    """The same file served without OCHRE_CONVERSATION_URL_TEMPLATE."""
    base, client = server
    monkeypatch_module.delenv("OCHRE_CONVERSATION_URL_TEMPLATE", raising=False)
    app = create_app(client.app.state.store.path, secret=SECRET)
    with running_server(app) as plain:
        yield plain


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture()
def new_page(chromium: str, playwright_instance, tmp_path: Path):
    """Each viewer gets a browser with a fresh user-data-dir."""
    contexts, errors = [], []

    def make(name: str, width: int = 1280, height: int = 900):
        ctx = playwright_instance.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{name}"),
            executable_path=chromium,
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": width, "height": height},
        )
        contexts.append(ctx)
        ctx.set_default_timeout(15_000)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
        page.on("requestfailed", lambda r: errors.append(f"{name}: failed {r.url}"))

        def on_response(resp) -> None:
            # API refusals (401/403) are part of some tests; every asset must load.
            if resp.status >= 400 and "/api/" not in resp.url:
                errors.append(f"{name}: {resp.status} {resp.url}")

        page.on("response", on_response)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert errors == []


def token(agent_id: str, workspace_id: str = "w1") -> str:
    return issue_token(SECRET, agent_id=agent_id, workspace_id=workspace_id)


def api(client: TestClient, agent_id: str, path: str) -> dict:  # type: ignore[type-arg]
    resp = client.get(path, headers={"Authorization": f"Bearer {token(agent_id)}"})
    assert resp.status_code == 200
    return resp.json()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def shown_rows(page) -> list[str]:
    return page.eval_on_selector_all(
        "#leaderboard tbody tr", "rows => rows.map(r => r.dataset.agentId)"
    )


def wait_loaded(page, period: int, view: str | None = None) -> None:
    """Wait until the page has loaded `period` (and, given `view`, that view: the page's
    markLoaded)."""
    shown = f'[data-view-loaded="{view}"]' if view else ""
    page.wait_for_selector(f'body[data-loading="false"][data-period-loaded="{period}"]{shown}')


def wait_detail(page, agent_id: str, period: int) -> None:
    """Wait until one agent's drill-down has loaded and rendered. A row click only sets the
    URL hash; the page routes on the hashchange event that follows, so the board's own
    loaded markers are still on the body right after the click."""
    wait_loaded(page, period, f"agent:{agent_id}")
    assert page.is_visible("#detail-view")


def column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#leaderboard tbody tr",
        f"rows => rows.map(r => r.children[{index}].innerText.trim())",
    )


def test_admin_sees_workspace_switches_period_and_drills_down(server, new_page) -> None:
    base, client = server
    page = new_page("admin")
    page.goto(f"{base}/?token={token('w1_admin')}")
    wait_loaded(page, 30)
    assert "token=" not in page.url  # the token moved to sessionStorage
    assert page.evaluate("sessionStorage.getItem('ochre.token')")
    assert page.get_attribute('[data-period="30"]', "aria-pressed") == "true"

    api_rows = api(client, "w1_admin", "/api/leaderboard?period=30")["rows"]
    by_name = [r["agent_id"] for r in sorted(api_rows, key=lambda r: r["agent_name"])]
    assert shown_rows(page) == by_name  # default order: by name
    assert set(by_name) == {"w1_owner", "w1_admin", "w1_agent"}
    assert all(DURATION.match(v) for v in column(page, 2)), column(page, 2)
    csat_cells = [v.splitlines()[0] for v in column(page, 3)]
    assert all(CSAT.match(v) for v in csat_cells), column(page, 3)
    first = api_rows[[r["agent_id"] for r in api_rows].index(by_name[0])]
    assert csat_cells[0] == f"{first['csat_avg']:.1f} ({first['csat_responses']})"
    # each CSAT with its 95 % interval; under 30 responses it is marked "few"
    for row in api_rows:
        cell = page.inner_text(f'tr[data-agent-id="{row["agent_id"]}"] td.csat')
        interval = f"95 % {row['csat_ci_low']:.1f}–{row['csat_ci_high']:.1f}"
        assert interval in cell, (row["agent_id"], cell)
        assert ("few" in cell) == (row["csat_responses"] < 30), (row["agent_id"], cell)
    assert {r["csat_responses"] < 30 for r in api_rows} == {True, False}  # both kinds shown
    team30 = api(client, "w1_admin", "/api/team?period=30")
    tile_text = page.inner_text('#team-tiles [data-figure="team_kpis.csat_avg"]')
    assert f"95 % {team30['csat_ci_low']:.1f}–{team30['csat_ci_high']:.1f}" in tile_text
    assert column(page, 4)[0] == (
        f"{first['ai_draft_sent_replies']} / {first['ai_draft_edited_replies']} / "
        f"{first['scratch_replies']}"
    )
    # the load-balancing scatter: one point per agent with a sample, four quadrant labels
    points = page.eval_on_selector_all("#scatter .point", "ps => ps.map(p => p.dataset.agentId)")
    assert set(points) == {r["agent_id"] for r in api_rows if r["median_first_response_seconds"]}
    labels = page.eval_on_selector_all(
        "#scatter .quad-label", "ls => ls.map(l => l.dataset.quadrant)"
    )
    assert sorted(labels) == ["drowning", "needs_context", "underloaded", "workhorse"]
    assert page.locator("#team-tiles .tile").count() == 5
    shot(page, "admin-30-days.png")

    # sort by conversations handled (descending first), then ascending
    page.click('th[data-sort="conversations_handled"]')
    by_volume = [r["agent_id"] for r in sorted(api_rows, key=lambda r: -r["conversations_handled"])]
    assert shown_rows(page) == by_volume
    page.click('th[data-sort="conversations_handled"]')
    assert shown_rows(page) == by_volume[::-1]
    page.click('th[data-sort="agent_name"]')
    assert shown_rows(page) == by_name

    # switch the period: the deactivated agent's activity is inside 90 days only
    page.click('[data-period="90"]')
    wait_loaded(page, 90)
    assert "w1_gone" in shown_rows(page)
    assert set(shown_rows(page)) == {"w1_owner", "w1_admin", "w1_agent", "w1_gone"}
    assert "deactivated" in page.inner_text('tr[data-agent-id="w1_gone"]')
    assert "last 90 days" in page.inner_text("#subtitle")
    shot(page, "admin-90-days.png")

    page.click('[data-period="30"]')
    wait_loaded(page, 30)
    assert len(shown_rows(page)) == 3

    # drill down into the agent
    page.click('tr[data-agent-id="w1_agent"]')
    wait_detail(page, "w1_agent", 30)
    detail = api(client, "w1_admin", "/api/agents/w1_agent?period=30")
    assert page.inner_text("#detail-title") == "Ava Lindqvist"
    charts = page.eval_on_selector_all(
        "#detail-charts [data-chart]", "cs => cs.map(c => c.dataset.chart)"
    )
    assert charts == ["conversations_handled", "median_first_response_seconds", "csat_avg",
                      "ai_assisted_reply_pct"]
    assert page.locator("#detail-charts svg").count() == 4
    assert page.locator("#detail-tiles .tile").count() == 6
    low = page.eval_on_selector_all(
        "#low-csat tbody tr", "rs => rs.map(r => r.dataset.conversationId)"
    )
    assert low == [c["conversation_id"] for c in detail["low_csat_conversations"]]
    assert low, "the fixture has low scores for this agent in 30 days"
    shot(page, "admin-drilldown-agent-30-days.png")

    row = detail["leaderboard_row"]
    csat_tile = page.inner_text('#detail-tiles [data-figure="agent_leaderboard.csat_avg"]')
    assert f"95 % {row['csat_ci_low']:.1f}–{row['csat_ci_high']:.1f}" in csat_tile
    assert f"{row['team_csat_ci_low']:.1f}–{row['team_csat_ci_high']:.1f}" in csat_tile

    # the drill-down's download: this agent's conversations, the API's CSV byte for byte
    with page.expect_download() as info:
        page.click("#detail-download-csv")
    download = info.value
    assert download.suggested_filename.endswith("-w1_agent.csv")
    expected = client.get("/api/conversations.csv?agent_id=w1_agent",
                          headers={"Authorization": f"Bearer {token('w1_admin')}"}).text
    assert Path(download.path()).read_bytes().decode("utf-8") == expected
    assert expected.count("\r\n") > 2

    page.click('[data-period="7"]')
    wait_loaded(page, 7)
    detail7 = api(client, "w1_admin", "/api/agents/w1_agent?period=7")
    assert page.locator("#low-csat tbody tr").count() == len(detail7["low_csat_conversations"])
    shot(page, "admin-drilldown-agent-7-days.png")

    page.click("#back")
    wait_loaded(page, 7)
    assert len(shown_rows(page)) == 3


def test_agent_sees_only_their_own_row(server, new_page) -> None:
    base, _ = server
    page = new_page("agent")
    page.goto(base + "/")
    page.wait_for_selector("#login:not([hidden])")
    shot(page, "login.png")
    page.fill("#token-input", token("w1_agent"))
    page.click("#login-form button[type=submit]")
    wait_loaded(page, 30)
    assert shown_rows(page) == ["w1_agent"]
    assert page.inner_text("#table-title") == "Your figures"
    points = page.eval_on_selector_all("#scatter .point", "ps => ps.map(p => p.dataset.agentId)")
    assert points == ["w1_agent"]
    assert "Olivia" not in page.content() and "Adam" not in page.content()
    shot(page, "agent-30-days.png")

    # beside the leaderboard: the conversations this agent replied on, and only those
    with page.expect_download() as info:
        page.click("#download-csv")
    download = info.value
    text = Path(download.path()).read_bytes().decode("utf-8")
    assert download.suggested_filename.startswith("conversations-")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert all("w1_agent" in r["agents_replied"].split(",") for r in rows)
    assert {r["workspace_id"] for r in rows} == {"w1"}

    page.click('tr[data-agent-id="w1_agent"]')
    wait_detail(page, "w1_agent", 30)
    assert page.inner_text("#detail-title") == "Ava Lindqvist"
    shot(page, "agent-drilldown.png")

    # someone else's drill-down is refused
    page.goto(base + "/#agent=w1_admin")
    page.wait_for_selector("#message:not([hidden])")
    assert "only open your own" in page.inner_text("#message")
    assert page.is_hidden("#detail-view")
    assert shown_rows(page) == ["w1_agent"]
    assert "Adam" not in page.content()


def test_bad_token_shows_the_login_again(server, new_page) -> None:
    base, _ = server
    page = new_page("forged")
    forged = issue_token("someone-elses-secret-of-32-bytes-or-more", agent_id="w1_admin",
                         workspace_id="w1")
    page.goto(f"{base}/?token={forged}")
    page.wait_for_selector("#message:not([hidden])")
    assert "invalid token" in page.inner_text("#message")
    assert page.is_visible("#login")
    assert page.evaluate("sessionStorage.getItem('ochre.token')") is None


# -- named team medians, gaps, links, 390 px and 1440 px -----------------------------------

TEAM_FRT_ALL = "Team median first response, all agents' samples"
TEAM_FRT_ALL_DEFINITION = "median over every agent's first-response samples"
TEAM_FRT_CONV_DEFINITION = "median over each conversation's first human reply"
GAP_CHARTS = ("median_first_response_seconds", "csat_avg", "ai_assisted_reply_pct")


def runs_with_a_value(points: list[dict], key: str) -> int:
    """Runs of consecutive days with a value: the segments a line with gaps is drawn in."""
    return sum(
        1 for i, p in enumerate(points)
        if p[key] is not None and (i == 0 or points[i - 1][key] is None)
    )


def box(page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not rendered"
    return found


def within_width(found: dict, width: int) -> bool:
    return found["x"] >= 0 and found["x"] + found["width"] <= width + 0.5


def assert_no_page_overflow(page, width: int) -> None:
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert client == width and scroll <= width, (scroll, client)


def assert_table_reachable(page, wrap: str, width: int) -> None:
    """The table's container fits the viewport; its last column can be scrolled into it."""
    assert within_width(box(page, wrap), width)
    page.eval_on_selector(wrap, "w => { w.scrollLeft = w.scrollWidth; }")
    last = box(page, f"{wrap} thead th:last-child")
    assert within_width(last, width), last
    page.eval_on_selector(wrap, "w => { w.scrollLeft = 0; }")
    assert within_width(box(page, f"{wrap} thead th:first-child"), width)


@pytest.mark.parametrize("width", [390, 1440])
def test_page_at_phone_and_desktop_width(server, new_page, width: int) -> None:
    base, client = server
    page = new_page(f"admin-{width}", width=width, height=844)
    page.goto(f"{base}/?token={token('w1_admin')}")
    wait_loaded(page, 30)
    team = api(client, "w1_admin", "/api/team?period=30")
    rows = api(client, "w1_admin", "/api/leaderboard?period=30")["rows"]

    # the team tile: the per-conversation median, named and defined
    tile = page.locator('#team-tiles [data-figure="team_kpis.median_first_response_seconds"]')
    assert tile.locator(".tile-label").inner_text().lower() == "team median first response"
    assert tile.locator(".tile-value").inner_text() == format_seconds(
        team["median_first_response_seconds"])
    assert tile.locator(".tile-sub").inner_text() == (
        f"per conversation: {TEAM_FRT_CONV_DEFINITION}")
    # the scatter's dashed line: the all-samples median, named and defined under the chart
    legend = page.locator(
        '#scatter-medians [data-figure="agent_leaderboard.team_median_first_response_seconds"]')
    assert legend.inner_text() == (
        f"{TEAM_FRT_ALL}: {format_seconds(rows[0]['team_median_first_response_seconds'])}"
        f" — {TEAM_FRT_ALL_DEFINITION}."
    )
    assert all(DURATION.match(v) for v in column(page, 2)), column(page, 2)

    # nothing wider than the viewport; Sign out and the whole table reachable
    assert_no_page_overflow(page, width)
    assert page.is_visible("#logout") and within_width(box(page, "#logout"), width)
    assert_table_reachable(page, "#board-view .table-wrap", width)
    if width == 390:  # the table scrolls inside its card, not the page
        assert page.eval_on_selector(
            "#board-view .table-wrap", "w => w.scrollWidth > w.clientWidth")
    shot(page, f"page-{width}.png")

    # drill-down of the sparse owner: lines break on days without a value
    page.click('tr[data-agent-id="w1_owner"]')
    wait_detail(page, "w1_owner", 30)
    detail = api(client, "w1_admin", "/api/agents/w1_owner?period=30")
    gaps = 0
    for key in GAP_CHARTS:
        for which, points in (("this", detail["daily"]), ("prior", detail["prior_daily"])):
            path = page.locator(f'[data-chart="{key}"] path[data-series="{which}"]')
            expected = runs_with_a_value(points, key)
            if expected == 0:
                assert path.count() == 0
                continue
            d = path.get_attribute("d")
            assert d.count("M") == expected, (key, which, d)
            gaps += expected - 1
    assert gaps > 0, "the owner's 30 days have days without a sample"
    # counts: a day without a row is a day of zeros (a bar per day with conversations)
    bars = page.locator('[data-chart="conversations_handled"] rect')
    assert bars.count() == sum(1 for p in detail["daily"] if p["conversations_handled"])
    prior = page.locator('[data-chart="conversations_handled"] path[data-series="prior"]')
    assert prior.get_attribute("d").count("M") == 1  # zeros, no gaps
    lb = detail["leaderboard_row"]
    sub = page.locator(
        '#detail-tiles [data-figure="agent_leaderboard.team_median_first_response_seconds"]'
        " .tile-sub").inner_text()
    assert sub == (
        f"Team, all agents' samples: {format_seconds(lb['team_median_first_response_seconds'])}"
        f" — {TEAM_FRT_ALL_DEFINITION}"
    )

    # low-score conversations link to the conversation (OCHRE_CONVERSATION_URL_TEMPLATE)
    low = detail["low_csat_conversations"]
    assert low, "the fixture has low scores for the owner in 30 days"
    links = page.locator("#low-csat tbody a")
    assert links.count() == len(low)
    for i, c in enumerate(low):
        link = links.nth(i)
        assert link.inner_text() == c["conversation_id"]
        assert link.get_attribute("href") == CONVERSATION_URL.format(
            conversation_id=c["conversation_id"])
        assert link.get_attribute("rel") == "noopener noreferrer"
    assert_no_page_overflow(page, width)
    assert within_width(box(page, "#logout"), width)
    assert_table_reachable(page, "#detail-view .table-wrap", width)
    shot(page, f"drilldown-{width}.png")

    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")


def test_low_score_conversations_without_a_url_template_are_plain_ids(
    server, server_without_links, new_page
) -> None:
    _, client = server
    page = new_page("no-links")
    page.goto(f"{server_without_links}/?token={token('w1_admin')}#agent=w1_owner")
    wait_detail(page, "w1_owner", 30)
    low = api(client, "w1_admin", "/api/agents/w1_owner?period=30")["low_csat_conversations"]
    cells = page.eval_on_selector_all(
        "#low-csat tbody tr td:nth-child(3)", "cs => cs.map(c => c.innerText.trim())")
    assert cells == [c["conversation_id"] for c in low]
    assert page.locator("#low-csat tbody a").count() == 0


def duration(seconds: float | None) -> str:
    """A duration as the page shows it ('—' for none)."""
    return "—" if seconds is None else format_seconds(seconds)


def test_first_response_switches_between_calendar_and_business_hours(server, new_page) -> None:
    """Calendar time by default; the switch shows the business-hours medians in the table,
    the team tile, the scatter (quadrants by the same rule) and the drill-down, and stays
    on for the session. w2 has no business hours: its business figures are '—'."""
    base, client = server
    page = new_page("basis")
    page.goto(f"{base}/?token={token('w1_admin')}")
    wait_loaded(page, 30)
    assert page.get_attribute("body", "data-frt-basis") == "calendar"
    assert page.get_attribute('[data-basis="calendar"]', "aria-pressed") == "true"
    rows = {r["agent_id"]: r for r in api(client, "w1_admin", "/api/leaderboard?period=30")["rows"]}
    team = api(client, "w1_admin", "/api/team?period=30")
    shown = shown_rows(page)
    assert column(page, 2) == [duration(rows[a]["median_first_response_seconds"]) for a in shown]
    business = {a: r["median_first_response_business_seconds"] for a, r in rows.items()}
    assert all(v is not None for v in business.values())
    assert any(business[a] != rows[a]["median_first_response_seconds"] for a in rows)

    page.click('[data-basis="business"]')
    wait_loaded(page, 30)
    assert page.get_attribute("body", "data-frt-basis") == "business"
    assert page.get_attribute('[data-basis="business"]', "aria-pressed") == "true"
    assert page.inner_text('th[data-sort="median_first_response_seconds"]') == (
        "Median first response (business hours)"
    )
    shown = shown_rows(page)
    assert column(page, 2) == [duration(business[a]) for a in shown]
    tile = page.locator('[data-figure="team_kpis.median_first_response_business_seconds"]')
    assert tile.locator(".tile-value").inner_text() == duration(
        team["median_first_response_business_seconds"]
    )
    # the quadrants: load_quadrant's rule on the business-hours medians
    team_business = next(iter(rows.values()))["team_median_first_response_business_seconds"]
    for agent, r in rows.items():
        busy = r["conversations_handled"] >= r["team_median_conversations_handled"]
        fast = business[agent] <= team_business
        expected = ("workhorse" if fast else "drowning") if busy else (
            "underloaded" if fast else "needs_context")
        assert page.get_attribute(f'tr[data-agent-id="{agent}"] .dot', "data-q") == expected
    # sorting by first response sorts by the business-hours medians
    page.click('th[data-sort="median_first_response_seconds"]')
    page.click('th[data-sort="median_first_response_seconds"]')
    assert shown_rows(page) == sorted(rows, key=lambda a: (business[a], rows[a]["agent_name"]))
    shot(page, "admin-30-days-business-hours.png")

    # the drill-down keeps the basis
    page.click('tr[data-agent-id="w1_agent"]')
    wait_detail(page, "w1_agent", 30)
    charts = page.eval_on_selector_all(
        "#detail-charts [data-chart]", "cs => cs.map(c => c.dataset.chart)"
    )
    assert "median_first_response_business_seconds" in charts

    # w2 has no business hours: '—' and no point on the scatter
    other = new_page("basis-w2")
    other.goto(f"{base}/?token={token('w2_admin', 'w2')}")
    wait_loaded(other, 30)
    other.click('[data-basis="business"]')
    wait_loaded(other, 30)
    assert column(other, 2) == ["—"]
    assert other.locator("#scatter .point").count() == 0
    assert "business hours" in other.inner_text("#scatter-note")
