"""The world: workspaces, their time zones and agents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .records import (
    _AGENT_STATUS,
    _AI_ASSIST,
    _AUTHOR_TYPES,
    _CHANNELS,
    _CONV_STATUS,
    _DAY_US,
    _MESSAGE_TYPES,
    _PRIORITIES,
    _ROLES,
    _US,
    _Batch,
)
from .sampling import _rng, _segment_starts

# The first workspaces get these zones in this order (so the 4-workspace default has a
# US zone, a European zone, a null zone and Sydney); later ones draw from _MORE_TZ.
_FIRST_TZ = ["America/New_York", "Europe/Berlin", None, "Australia/Sydney", "Asia/Kolkata", "UTC"]
_MORE_TZ = [
    "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", None,
    "America/Los_Angeles", "Europe/London", "America/Sao_Paulo", "Asia/Tokyo",
    "America/Chicago", "Europe/Paris", "Asia/Singapore", "Pacific/Auckland",
    "Africa/Johannesburg", "America/Denver",
]

_WS_WORDS = [
    "Acme", "Northwind", "Bluebird", "Harbor", "Summit", "Cedar", "Quartz", "Maple",
    "Nimbus", "Orbit", "Pioneer", "Silverline", "Copperleaf", "Lumen", "Atlas", "Fjord",
    "Juniper", "Kestrel", "Meridian", "Tidal",
]
_WS_TEAMS = ["Support", "Care", "Helpdesk", "Customer Success", "Service Desk", "Help Center"]
_FIRST = [
    "Ada", "Bo", "Chloé", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Inès", "Jonas",
    "Kwame", "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rafael", "Sofía", "Tomás",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Łukasz", "Amara", "Björn", "Chen",
]
_LAST = [
    "Lovelace", "Nakamura", "García", "Okafor", "Schmidt", "Kowalski", "O'Neill", "Haddad",
    "Svensson", "Patel", "Rossi", "Dubois", "Novak", "Jensen", "Moreau", "Silva", "Kim",
    "Ivanova", "Mensah", "Fischer", "Yilmaz", "Costa", "Nguyen", "Larsen", "Müller",
]
_ASCII = str.maketrans({
    "é": "e", "è": "e", "í": "i", "á": "a", "ö": "o", "ë": "e", "Ł": "L", "ł": "l",
    "ü": "u", "'": "", "ç": "c", " ": "",
})

def _epoch_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * _DAY_US


def _local_to_utc(local_us: np.ndarray, tz_code: np.ndarray, tz_names: list[str]) -> np.ndarray:
    """Local wall-clock microseconds (naive) in zone tz_names[tz_code] -> UTC microseconds."""
    out = np.empty_like(local_us)
    for code in np.unique(tz_code):
        sel = tz_code == code
        naive = pa.array(local_us[sel], pa.int64()).view(pa.timestamp("us"))
        aware = pc.assume_timezone(naive, timezone=tz_names[code], ambiguous="earliest",
                                   nonexistent="latest")
        out[sel] = aware.view(pa.int64()).to_numpy()
    return out


def _utc_offset_s(utc_us: np.ndarray, tz_code: np.ndarray, tz_names: list[str]) -> np.ndarray:
    """UTC offset in seconds of each instant in its zone."""
    out = np.zeros(len(utc_us), np.int64)
    for code in np.unique(tz_code):
        sel = tz_code == code
        aware = pa.array(utc_us[sel], pa.int64()).view(pa.timestamp("us", tz=tz_names[code]))
        local = pc.local_timestamp(aware).view(pa.int64()).to_numpy()
        out[sel] = (local - utc_us[sel]) // _US
    return out



# --------------------------------------------------------------------------------------
# the world: workspaces and agents
# --------------------------------------------------------------------------------------


@dataclass
class _World:
    start: dt.date
    end: dt.date
    days: int
    tz_names: list[str]  # zone used for computing, per tz code
    ws_tz: np.ndarray  # tz code per workspace
    ws_tz_null: np.ndarray  # timezone column is null
    ws_start: np.ndarray  # UTC us of local start-of-window
    ws_cap: np.ndarray  # UTC us of the last local microsecond of end_date
    ws_cum: np.ndarray  # cumulative conversation share per workspace
    ws_weight: np.ndarray
    ws_ai: np.ndarray
    ws_speed: np.ndarray
    ag_start: np.ndarray  # first agent index per workspace
    ag_count: np.ndarray
    ag_active: np.ndarray  # number of active agents per workspace (they come first)
    ag_ws: np.ndarray
    ag_deact_at: np.ndarray  # UTC us or int64 max
    ag_speed: np.ndarray
    ag_quality: np.ndarray
    ag_ai: np.ndarray
    cum_all: np.ndarray
    cum_act: np.ndarray
    tables: dict[str, list[str]]
    workspaces: list[_Batch]  # per slot
    agents: list[_Batch]

    @property
    def n_ws(self) -> int:
        return len(self.ws_tz)


def _group_cum(ws_of: np.ndarray, weight: np.ndarray, starts: np.ndarray,
               counts: np.ndarray) -> np.ndarray:
    """Cumulative weights within each workspace block, offset by the workspace index, so one
    searchsorted(cum, ws + u, 'right') draws a weighted agent of workspace ws."""
    cs = np.cumsum(weight)
    base = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
    total = cs[starts + counts - 1] - base
    frac = (cs - base[ws_of]) / total[ws_of]
    frac[frac > 1 - 1e-12] = 1.0
    return ws_of + frac


def _build_world(seed: int, n_ws: int, days: int, end: dt.date) -> _World:
    rng = _rng(seed, 1)
    start = end - dt.timedelta(days=days - 1)
    # zones
    tz_list: list[str | None] = []
    for w in range(n_ws):
        tz_list.append(_FIRST_TZ[w] if w < len(_FIRST_TZ) else None)
    extra = rng.integers(0, len(_MORE_TZ), n_ws)
    for w in range(len(_FIRST_TZ), n_ws):
        tz_list[w] = _MORE_TZ[extra[w]]
    tz_names = sorted({t or "UTC" for t in tz_list})
    ws_tz = np.array([tz_names.index(t or "UTC") for t in tz_list], np.int16)
    ws_tz_null = np.array([t is None for t in tz_list])
    starts_by_tz, caps_by_tz = {}, {}
    for name in tz_names:
        zone = ZoneInfo(name)
        a = dt.datetime.combine(start, dt.time(), zone).timestamp()
        b = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp()
        starts_by_tz[name], caps_by_tz[name] = int(a) * _US, int(b) * _US - 1
    ws_start = np.array([starts_by_tz[tz_names[c]] for c in ws_tz], np.int64)
    ws_cap = np.array([caps_by_tz[tz_names[c]] for c in ws_tz], np.int64)

    sigma = 1.0 if n_ws > 12 else 0.25
    ws_weight = np.exp(sigma * rng.standard_normal(n_ws))
    ws_cum = np.cumsum(ws_weight / ws_weight.sum())
    ws_cum[-1] = 1.0
    ws_ai = rng.random(n_ws) < 0.8
    ws_ai[0] = True
    if n_ws >= 4:
        ws_ai[1], ws_ai[3] = True, False  # one team works without the AI agent
    ws_speed = np.exp(0.35 * rng.standard_normal(n_ws))
    ws_window = ws_cap - ws_start

    # workspace records: name and rename
    word = rng.integers(0, len(_WS_WORDS), n_ws)
    team = rng.integers(0, len(_WS_TEAMS), n_ws)
    names = []
    for w in range(n_ws):
        base = f"{_WS_WORDS[word[w]]} {_WS_TEAMS[team[w]]}"
        if n_ws > 20:
            base += f" {w + 1}"
        names += [base, base + (" EMEA" if w % 2 else " Global")]
    renamed = rng.random(n_ws) < 0.15
    if n_ws >= 2:
        renamed[0] = True
    ws_idx = np.arange(n_ws, dtype=np.int64)
    first_upd = ws_start + rng.integers(0, 60, n_ws) * _US
    rename_at = ws_start + (ws_window * rng.uniform(0.2, 0.7, n_ws)).astype(np.int64)
    ws_final = _Batch("workspaces", {
        "workspace_id": ws_idx,
        "name": 2 * ws_idx + renamed,
        "timezone": np.where(ws_tz_null, -1, ws_tz).astype(np.int64),
        "updated_at": np.where(renamed, rename_at, first_upd),
    })
    ws_stale = ws_final.take(np.flatnonzero(renamed))
    ws_stale.cols["name"] = ws_stale.cols["name"] - 1
    ws_stale.cols["updated_at"] = first_upd[renamed]

    # agents
    ag_count = rng.integers(4, 13, n_ws)
    n_deact = rng.integers(1, 3, n_ws)
    ag_start = _segment_starts(ag_count)
    n_ag = int(ag_count.sum())
    ag_ws = np.repeat(ws_idx, ag_count)
    ag_pos = np.arange(n_ag) - ag_start[ag_ws]
    ag_active = ag_count - n_deact
    deact = ag_pos >= ag_active[ag_ws]
    n_admin = rng.integers(1, 3, n_ws)
    role = np.where(ag_pos == 0, 0, np.where(ag_pos <= n_admin[ag_ws], 1, 2))
    role = np.where(deact, np.where(rng.random(n_ag) < 0.3, 1, 2), role)
    promoted = (~deact) & (role == 1) & (rng.random(n_ag) < 0.35)  # was "agent" earlier
    renamed_ag = rng.random(n_ag) < 0.06
    ag_window = ws_window[ag_ws]
    deact_at = ws_start[ag_ws] + (ag_window * rng.uniform(0.3, 0.8, n_ag)).astype(np.int64)
    change_at = ws_start[ag_ws] + (ag_window * rng.uniform(0.1, 0.9, n_ag)).astype(np.int64)
    ag_first = ws_start[ag_ws] + rng.integers(0, 60, n_ag) * _US
    changed = deact | promoted | renamed_ag
    ag_final = _Batch("agents", {
        "agent_id": np.arange(n_ag, dtype=np.int64),
        "workspace_id": ag_ws.astype(np.int64),
        "display_name": 2 * np.arange(n_ag) + 1,
        "email": np.arange(n_ag, dtype=np.int64),
        "role": role.astype(np.int64),
        "status": deact.astype(np.int64),
        "updated_at": np.where(deact, deact_at, np.where(changed, change_at, ag_first)),
    })
    ag_stale = ag_final.take(np.flatnonzero(changed))
    ag_stale.cols["status"] = np.zeros(len(ag_stale), np.int64)
    ag_stale.cols["role"] = np.where(promoted[changed], 2, ag_stale.cols["role"])
    ag_stale.cols["display_name"] = ag_stale.cols["display_name"] - renamed_ag[changed]
    ag_stale.cols["updated_at"] = ag_first[changed]

    first = rng.integers(0, len(_FIRST), n_ag)
    last = rng.integers(0, len(_LAST), n_ag)
    agent_names, agent_emails = [], []
    for k in range(n_ag):
        f, la = _FIRST[first[k]], _LAST[last[k]]
        agent_names += [f, f"{f} {la}"]
        local = f"{f.translate(_ASCII)}.{la.translate(_ASCII)}".lower()
        agent_emails.append(f"{local}@{_WS_WORDS[word[ag_ws[k]]].lower()}{ag_ws[k] + 1}.example")

    ag_weight = np.where(role == 0, 0.4, np.where(role == 1, 0.8, 1.0))
    ag_weight = ag_weight * np.exp(0.6 * rng.standard_normal(n_ag))
    cum_all = _group_cum(ag_ws, ag_weight, ag_start, ag_count)
    cum_act = _group_cum(ag_ws, np.where(deact, 0.0, ag_weight), ag_start, ag_count)
    ag_ai = np.where(rng.random(n_ag) < 0.2, 0.0, rng.uniform(0.05, 0.75, n_ag))

    tables = {
        "ws_name": names,
        "tz": tz_names,
        "agent_name": agent_names,
        "agent_email": agent_emails,
        "role": _ROLES,
        "agent_status": _AGENT_STATUS,
        "conv_status": _CONV_STATUS,
        "channel": _CHANNELS,
        "priority": _PRIORITIES,
        "author_type": _AUTHOR_TYPES,
        "message_type": _MESSAGE_TYPES,
        "ai_assist": _AI_ASSIST,
    }
    return _World(
        start=start, end=end, days=days, tz_names=tz_names, ws_tz=ws_tz, ws_tz_null=ws_tz_null,
        ws_start=ws_start, ws_cap=ws_cap, ws_cum=ws_cum, ws_weight=ws_weight, ws_ai=ws_ai,
        ws_speed=ws_speed, ag_start=ag_start, ag_count=ag_count, ag_active=ag_active,
        ag_ws=ag_ws, ag_deact_at=np.where(deact, deact_at, np.iinfo(np.int64).max),
        ag_speed=np.exp(0.45 * rng.standard_normal(n_ag)),
        ag_quality=0.5 * rng.standard_normal(n_ag), ag_ai=ag_ai, cum_all=cum_all,
        cum_act=cum_act, tables=tables,
        workspaces=[ws_stale, ws_final, _Batch("workspaces", {})],
        agents=[ag_stale, ag_final, _Batch("agents", {})],
    )
