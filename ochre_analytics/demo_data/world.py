"""The world the records describe: workspaces (each in its time zone), their agents, and
local-time arithmetic. Built once per landing set, before any conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .records import (
    AGENT_STATUSES,
    AI_ASSIST_VALUES,
    AUTHOR_TYPES,
    CHANNELS,
    CONVERSATION_STATUSES,
    MESSAGE_TYPES,
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    NEVER,
    PRIORITIES,
    ROLES,
    Batch,
)
from .sampling import seeded_rng, segment_starts

# The first workspaces get these zones in this order (so the 4-workspace default has a
# US zone, a European zone, a null zone and Sydney); later ones draw from MORE_TIMEZONES.
FIRST_TIMEZONES = ["America/New_York", "Europe/Berlin", None, "Australia/Sydney",
                   "Asia/Kolkata", "UTC"]
MORE_TIMEZONES = [
    "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", None,
    "America/Los_Angeles", "Europe/London", "America/Sao_Paulo", "Asia/Tokyo",
    "America/Chicago", "Europe/Paris", "Asia/Singapore", "Pacific/Auckland",
    "Africa/Johannesburg", "America/Denver",
]

WORKSPACE_WORDS = [
    "Acme", "Northwind", "Bluebird", "Harbor", "Summit", "Cedar", "Quartz", "Maple",
    "Nimbus", "Orbit", "Pioneer", "Silverline", "Copperleaf", "Lumen", "Atlas", "Fjord",
    "Juniper", "Kestrel", "Meridian", "Tidal",
]
WORKSPACE_TEAMS = ["Support", "Care", "Helpdesk", "Customer Success", "Service Desk",
                   "Help Center"]
FIRST_NAMES = [
    "Ada", "Bo", "Chloé", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Inès", "Jonas",
    "Kwame", "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rafael", "Sofía", "Tomás",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Łukasz", "Amara", "Björn", "Chen",
]
LAST_NAMES = [
    "Lovelace", "Nakamura", "García", "Okafor", "Schmidt", "Kowalski", "O'Neill", "Haddad",
    "Svensson", "Patel", "Rossi", "Dubois", "Novak", "Jensen", "Moreau", "Silva", "Kim",
    "Ivanova", "Mensah", "Fischer", "Yilmaz", "Costa", "Nguyen", "Larsen", "Müller",
]
# names -> the ASCII local part of an email address
_EMAIL_ASCII = str.maketrans({
    "é": "e", "è": "e", "í": "i", "á": "a", "ö": "o", "ë": "e", "Ł": "L", "ł": "l",
    "ü": "u", "'": "", "ç": "c", " ": "",
})

# --------------------------------------------------------------------------------------
# local time
# --------------------------------------------------------------------------------------


def epoch_micros(day: dt.date) -> int:
    """Microseconds from 1970-01-01 to the start of `day` (no time zone)."""
    return (day - dt.date(1970, 1, 1)).days * MICROS_PER_DAY


def local_to_utc(local_micros: np.ndarray, zone_code: np.ndarray,
                 zone_names: list[str]) -> np.ndarray:
    """Local wall-clock microseconds (naive) in zone zone_names[zone_code] -> UTC
    microseconds (a repeated hour takes its first instant, a skipped one the next)."""
    out = np.empty_like(local_micros)
    for code in np.unique(zone_code):
        in_zone = zone_code == code
        naive = pa.array(local_micros[in_zone], pa.int64()).view(pa.timestamp("us"))
        aware = pc.assume_timezone(naive, timezone=zone_names[code], ambiguous="earliest",
                                   nonexistent="latest")
        out[in_zone] = aware.view(pa.int64()).to_numpy()
    return out


def utc_offset_seconds(utc_micros: np.ndarray, zone_code: np.ndarray,
                       zone_names: list[str]) -> np.ndarray:
    """UTC offset in seconds of each instant in its zone."""
    out = np.zeros(len(utc_micros), np.int64)
    for code in np.unique(zone_code):
        in_zone = zone_code == code
        aware = pa.array(utc_micros[in_zone], pa.int64()).view(
            pa.timestamp("us", tz=zone_names[code]))
        local = pc.local_timestamp(aware).view(pa.int64()).to_numpy()
        out[in_zone] = (local - utc_micros[in_zone]) // MICROS_PER_SECOND
    return out


# --------------------------------------------------------------------------------------
# the world: workspaces and agents
# --------------------------------------------------------------------------------------


@dataclass
class World:
    """Workspaces and agents, as arrays indexed by workspace and by agent number. Agents are
    numbered workspace by workspace; within a workspace the active ones come first."""

    start: dt.date  # first local date of the data
    end: dt.date  # last local date of the data
    days: int
    zone_names: list[str]  # zone used for computing, per zone code (a null zone is UTC)
    workspace_zone: np.ndarray  # zone code per workspace
    workspace_zone_null: np.ndarray  # the workspace's timezone column is null
    window_start: np.ndarray  # per workspace: UTC us of local midnight starting `start`
    window_end: np.ndarray  # per workspace: UTC us of the last local microsecond of `end`
    workspace_cum_share: np.ndarray  # cumulative share of the conversations per workspace
    workspace_weight: np.ndarray  # relative conversation volume per workspace
    workspace_uses_ai: np.ndarray  # the workspace has the AI agent
    workspace_speed: np.ndarray  # factor on how long customers wait for a human
    first_agent: np.ndarray  # first agent number per workspace
    agent_count: np.ndarray  # agents per workspace
    active_agent_count: np.ndarray  # active agents per workspace
    agent_workspace: np.ndarray  # workspace per agent
    agent_deactivated_at: np.ndarray  # per agent: UTC us, or NEVER
    agent_speed: np.ndarray  # per agent: factor on how long customers wait for them
    agent_quality: np.ndarray  # per agent: shifts their CSAT scores
    agent_ai_assist_rate: np.ndarray  # per agent: share of replies drafted with AI assist
    agent_cum_weight: np.ndarray  # weighted draw of any agent (see grouped_cumulative)
    active_agent_cum_weight: np.ndarray  # weighted draw of an agent who stays active
    lookup_tables: dict[str, list[str]]  # the values of every lookup column's table
    # the records to write, per slot (0 first versions, 1 current, 2 later re-exports)
    workspaces: list[Batch]
    agents: list[Batch]

    @property
    def workspace_count(self) -> int:
        return len(self.workspace_zone)


def grouped_cumulative(group: np.ndarray, weight: np.ndarray, starts: np.ndarray,
                       counts: np.ndarray) -> np.ndarray:
    """Cumulative weights within each group's block, offset by the group number, so one
    searchsorted(cumulative, g + u, 'right') (u uniform in [0, 1)) draws an item of group g
    by weight."""
    running = np.cumsum(weight)
    before = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0.0)
    total = running[starts + counts - 1] - before
    fraction = (running - before[group]) / total[group]
    fraction[fraction > 1 - 1e-12] = 1.0
    return group + fraction


def _assign_zones(rng, workspace_count: int) -> list[str | None]:
    """Time zone per workspace (None: a null timezone column)."""
    zones: list[str | None] = []
    for w in range(workspace_count):
        zones.append(FIRST_TIMEZONES[w] if w < len(FIRST_TIMEZONES) else None)
    drawn = rng.integers(0, len(MORE_TIMEZONES), workspace_count)
    for w in range(len(FIRST_TIMEZONES), workspace_count):
        zones[w] = MORE_TIMEZONES[drawn[w]]
    return zones


def build_world(seed: int, workspace_count: int, days: int, end: dt.date) -> World:
    """Workspaces and agents for `days` local dates ending at `end`, with the records that
    describe them (first versions and current ones)."""
    rng = seeded_rng(seed, 1)
    start = end - dt.timedelta(days=days - 1)
    n_workspaces = workspace_count

    # zones and each workspace's window of UTC instants
    zones = _assign_zones(rng, n_workspaces)
    zone_names = sorted({z or "UTC" for z in zones})
    workspace_zone = np.array([zone_names.index(z or "UTC") for z in zones], np.int16)
    workspace_zone_null = np.array([z is None for z in zones])
    start_by_zone, end_by_zone = {}, {}
    for name in zone_names:
        zone = ZoneInfo(name)
        first_s = dt.datetime.combine(start, dt.time(), zone).timestamp()
        after_s = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp()
        start_by_zone[name] = int(first_s) * MICROS_PER_SECOND
        end_by_zone[name] = int(after_s) * MICROS_PER_SECOND - 1
    window_start = np.array([start_by_zone[zone_names[c]] for c in workspace_zone], np.int64)
    window_end = np.array([end_by_zone[zone_names[c]] for c in workspace_zone], np.int64)

    # how busy, AI-assisted and fast each workspace is
    sigma = 1.0 if n_workspaces > 12 else 0.25
    workspace_weight = np.exp(sigma * rng.standard_normal(n_workspaces))
    workspace_cum_share = np.cumsum(workspace_weight / workspace_weight.sum())
    workspace_cum_share[-1] = 1.0
    uses_ai = rng.random(n_workspaces) < 0.8
    uses_ai[0] = True
    if n_workspaces >= 4:
        uses_ai[1], uses_ai[3] = True, False  # one team works without the AI agent
    workspace_speed = np.exp(0.35 * rng.standard_normal(n_workspaces))
    window_length = window_end - window_start

    # workspace records: some renamed later (name table: 2 w first name, 2 w + 1 new one)
    word = rng.integers(0, len(WORKSPACE_WORDS), n_workspaces)
    team = rng.integers(0, len(WORKSPACE_TEAMS), n_workspaces)
    workspace_names = []
    for w in range(n_workspaces):
        base = f"{WORKSPACE_WORDS[word[w]]} {WORKSPACE_TEAMS[team[w]]}"
        if n_workspaces > 20:
            base += f" {w + 1}"
        workspace_names += [base, base + (" EMEA" if w % 2 else " Global")]
    renamed = rng.random(n_workspaces) < 0.15
    if n_workspaces >= 2:
        renamed[0] = True
    workspace_ids = np.arange(n_workspaces, dtype=np.int64)
    first_update = window_start + rng.integers(0, 60, n_workspaces) * MICROS_PER_SECOND
    rename_at = window_start + (
        window_length * rng.uniform(0.2, 0.7, n_workspaces)).astype(np.int64)
    workspaces_now = Batch("workspaces", {
        "workspace_id": workspace_ids,
        "name": 2 * workspace_ids + renamed,
        "timezone": np.where(workspace_zone_null, -1, workspace_zone).astype(np.int64),
        "updated_at": np.where(renamed, rename_at, first_update),
    })
    workspaces_before = workspaces_now.take(np.flatnonzero(renamed))
    workspaces_before.columns["name"] = workspaces_before.columns["name"] - 1
    workspaces_before.columns["updated_at"] = first_update[renamed]

    # agents: an owner, admins, agents; the last one or two of a workspace are deactivated
    agent_count = rng.integers(4, 13, n_workspaces)
    deactivated_count = rng.integers(1, 3, n_workspaces)
    first_agent = segment_starts(agent_count)
    n_agents = int(agent_count.sum())
    agent_workspace = np.repeat(workspace_ids, agent_count)
    position = np.arange(n_agents) - first_agent[agent_workspace]  # within the workspace
    active_agent_count = agent_count - deactivated_count
    deactivated = position >= active_agent_count[agent_workspace]
    admin_count = rng.integers(1, 3, n_workspaces)
    role = np.where(position == 0, 0, np.where(position <= admin_count[agent_workspace], 1, 2))
    role = np.where(deactivated, np.where(rng.random(n_agents) < 0.3, 1, 2), role)
    promoted = (~deactivated) & (role == 1) & (rng.random(n_agents) < 0.35)  # was "agent"
    renamed_agent = rng.random(n_agents) < 0.06
    agent_window = window_length[agent_workspace]
    agent_window_start = window_start[agent_workspace]
    deactivated_at = agent_window_start + (
        agent_window * rng.uniform(0.3, 0.8, n_agents)).astype(np.int64)
    changed_at = agent_window_start + (
        agent_window * rng.uniform(0.1, 0.9, n_agents)).astype(np.int64)
    agent_first_update = agent_window_start + rng.integers(0, 60, n_agents) * MICROS_PER_SECOND
    changed = deactivated | promoted | renamed_agent
    # (name table: 2 k short name, 2 k + 1 full name)
    agents_now = Batch("agents", {
        "agent_id": np.arange(n_agents, dtype=np.int64),
        "workspace_id": agent_workspace.astype(np.int64),
        "display_name": 2 * np.arange(n_agents) + 1,
        "email": np.arange(n_agents, dtype=np.int64),
        "role": role.astype(np.int64),
        "status": deactivated.astype(np.int64),
        "updated_at": np.where(deactivated, deactivated_at,
                               np.where(changed, changed_at, agent_first_update)),
    })
    agents_before = agents_now.take(np.flatnonzero(changed))
    agents_before.columns["status"] = np.zeros(len(agents_before), np.int64)
    agents_before.columns["role"] = np.where(promoted[changed], 2,
                                             agents_before.columns["role"])
    agents_before.columns["display_name"] = (agents_before.columns["display_name"]
                                             - renamed_agent[changed])
    agents_before.columns["updated_at"] = agent_first_update[changed]

    first_name = rng.integers(0, len(FIRST_NAMES), n_agents)
    last_name = rng.integers(0, len(LAST_NAMES), n_agents)
    agent_names, agent_emails = [], []
    for k in range(n_agents):
        first, last = FIRST_NAMES[first_name[k]], LAST_NAMES[last_name[k]]
        agent_names += [first, f"{first} {last}"]
        local_part = f"{first.translate(_EMAIL_ASCII)}.{last.translate(_EMAIL_ASCII)}".lower()
        domain = f"{WORKSPACE_WORDS[word[agent_workspace[k]]].lower()}{agent_workspace[k] + 1}"
        agent_emails.append(f"{local_part}@{domain}.example")

    # who gets the conversations: owners least, admins less, agents most
    agent_weight = np.where(role == 0, 0.4, np.where(role == 1, 0.8, 1.0))
    agent_weight = agent_weight * np.exp(0.6 * rng.standard_normal(n_agents))
    agent_cum_weight = grouped_cumulative(agent_workspace, agent_weight, first_agent,
                                          agent_count)
    active_agent_cum_weight = grouped_cumulative(
        agent_workspace, np.where(deactivated, 0.0, agent_weight), first_agent, agent_count)
    ai_assist_rate = np.where(rng.random(n_agents) < 0.2, 0.0,
                              rng.uniform(0.05, 0.75, n_agents))
    agent_speed = np.exp(0.45 * rng.standard_normal(n_agents))
    agent_quality = 0.5 * rng.standard_normal(n_agents)

    lookup_tables = {
        "ws_name": workspace_names,
        "tz": zone_names,
        "agent_name": agent_names,
        "agent_email": agent_emails,
        "role": ROLES,
        "agent_status": AGENT_STATUSES,
        "conv_status": CONVERSATION_STATUSES,
        "channel": CHANNELS,
        "priority": PRIORITIES,
        "author_type": AUTHOR_TYPES,
        "message_type": MESSAGE_TYPES,
        "ai_assist": AI_ASSIST_VALUES,
    }
    return World(
        start=start, end=end, days=days, zone_names=zone_names, workspace_zone=workspace_zone,
        workspace_zone_null=workspace_zone_null, window_start=window_start,
        window_end=window_end, workspace_cum_share=workspace_cum_share,
        workspace_weight=workspace_weight, workspace_uses_ai=uses_ai,
        workspace_speed=workspace_speed, first_agent=first_agent, agent_count=agent_count,
        active_agent_count=active_agent_count, agent_workspace=agent_workspace,
        agent_deactivated_at=np.where(deactivated, deactivated_at, NEVER),
        agent_speed=agent_speed, agent_quality=agent_quality,
        agent_ai_assist_rate=ai_assist_rate, agent_cum_weight=agent_cum_weight,
        active_agent_cum_weight=active_agent_cum_weight, lookup_tables=lookup_tables,
        workspaces=[workspaces_before, workspaces_now, Batch("workspaces", {})],
        agents=[agents_before, agents_now, Batch("agents", {})],
    )
