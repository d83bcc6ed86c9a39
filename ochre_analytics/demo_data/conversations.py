"""Conversations, messages, CSAT responses, mentions and NPS responses."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .records import _DAY_S, _DAY_US, _US, _Batch, _Counters
from .sampling import _choice, _lognormal, _rng, _segment_starts
from .world import _epoch_us, _local_to_utc, _World

# --------------------------------------------------------------------------------------
# conversation building blocks
# --------------------------------------------------------------------------------------

# tokens: one message each
(_C, _A, _B, _AN_B, _BN_A, _AN, _AI, _HS, _HA, _AIN) = range(10)
_START = 10  # "previous token" of a conversation's first message
_TOK_AUTHOR = np.array([0, 1, 1, 1, 1, 1, 2, 3, 2, 2], np.int8)  # index into _AUTHOR_TYPES
_TOK_MTYPE = np.array([0, 0, 0, 1, 1, 1, 0, 2, 2, 1], np.int8)  # index into _MESSAGE_TYPES
_TOK_ACTOR = np.array([0, 1, 2, 1, 2, 1, 0, 0, 0, 0], np.int8)  # 1 primary agent, 2 teammate
_TOK_MENTION = np.array([0, 0, 0, 2, 1, 0, 0, 0, 0, 0], np.int8)  # who the note @mentions

# conversation kinds
_K_AI, _K_HANDOFF, _K_HUMAN, _K_OUTBOUND = range(4)

# (tokens, probability) per kind: the opening of a conversation
_OPENINGS: list[list[tuple[tuple[int, ...], float]]] = [
    [((_C, _AI), 0.45), ((_C, _AI, _C, _AI), 0.30), ((_C, _C, _AI, _C), 0.15),
     ((_C, _AI, _C, _AI, _C, _AI), 0.10)],
    [((_C, _AI, _C, _HS), 0.35), ((_C, _AI, _HA), 0.25), ((_C, _AI, _C, _HA, _AIN), 0.20),
     ((_C, _C, _AI, _C, _C, _HS), 0.10), ((_C, _HS), 0.10)],
    [((_C,), 0.70), ((_C, _C), 0.25), ((_C, _C, _C), 0.05)],
    [((_A, _C), 0.75), ((_A, _C, _C), 0.10), ((_A, _A, _C), 0.05), ((_A,), 0.10)],
]
# human rounds: first (of several), middle, last (of several), only
_ROUNDS: list[list[tuple[tuple[int, ...], float]]] = [
    [((_A, _C), 0.55), ((_A, _C, _C), 0.20), ((_A, _A, _C), 0.08), ((_AN, _A, _C), 0.05),
     ((_A, _AN_B, _C), 0.07), ((_AN_B, _B, _C), 0.05)],
    [((_A, _C), 0.45), ((_A, _C, _C), 0.12), ((_A, _A, _C), 0.05), ((_B, _C), 0.13),
     ((_AN_B, _B, _C), 0.10), ((_A, _AN_B, _C), 0.05), ((_AN, _A, _C), 0.05),
     ((_BN_A, _A, _C), 0.05)],
    [((_A,), 0.45), ((_A, _C), 0.25), ((_B,), 0.10), ((_AN_B, _B), 0.08), ((_A, _AN), 0.04),
     ((_B, _C), 0.08)],
    [((_A,), 0.50), ((_A, _C), 0.30), ((_A, _A), 0.05), ((_AN_B, _B), 0.10), ((_A, _AN), 0.05)],
]


def _catalog() -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Flatten the block tables: block token matrix, block lengths, per-group (ids, cum p)."""
    blocks: list[tuple[int, ...]] = []
    groups_ids: list[np.ndarray] = []
    groups_cum: list[np.ndarray] = []
    for table in _OPENINGS + _ROUNDS:
        ids = []
        for tokens, _p in table:
            ids.append(len(blocks))
            blocks.append(tokens)
        probs = np.array([p for _t, p in table], np.float64)
        groups_ids.append(np.array(ids, np.int16))
        groups_cum.append(np.cumsum(probs / probs.sum()))
    width = max(len(b) for b in blocks)
    tok = np.full((len(blocks), width), -1, np.int8)
    for i, b in enumerate(blocks):
        tok[i, : len(b)] = b
    lens = np.array([len(b) for b in blocks], np.int64)
    return tok, lens, groups_ids, groups_cum


_BLOCK_TOK, _BLOCK_LEN, _GROUP_IDS, _GROUP_CUM = _catalog()


def _gap_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seconds between a message and the previous one: lognormal(mu, sigma) clipped."""
    mu = np.zeros((11, 10))
    sig = np.zeros((11, 10))
    lo = np.zeros((11, 10))
    hi = np.zeros((11, 10))

    def put(prev: list[int], cur: list[int], median: float, s: float, a: float, b: float):
        for p in prev:
            for c in cur:
                mu[p, c], sig[p, c], lo[p, c], hi[p, c] = np.log(median), s, a, b

    human = [_A, _B]
    notes = [_AN_B, _BN_A, _AN]
    ai_side = [_AI, _AIN, _HS, _HA]
    put([_C], [_C], 90, 0.8, 5, 1800)
    put([_AI, _AIN], [_C], 150, 0.9, 5, 3 * 3600)
    put(human + notes, [_C], 5400, 1.3, 30, 2 * _DAY_S)
    put([_HS, _HA], [_C], 300, 1.0, 10, 7200)
    put([_C] + human + notes, [_AI], 8, 0.5, 2, 60)
    put(ai_side, [_AI], 20, 0.5, 2, 120)
    put([_C] + human + notes + ai_side, [_HS, _HA], 20, 0.6, 2, 300)
    put([_C] + human + notes + ai_side, [_AIN], 3, 0.3, 1, 10)
    put([_C] + ai_side, human, 900, 1.2, 15, 20 * 3600)  # a customer waits for a human
    put(human, human, 240, 0.8, 10, 7200)
    put(notes, human, 1500, 1.0, 30, 8 * 3600)
    put([_C] + ai_side, notes, 400, 1.0, 10, 6 * 3600)
    put(human + notes, notes, 120, 0.8, 5, 3600)
    return mu, sig, lo, hi


_GAP_MU, _GAP_SIG, _GAP_LO, _GAP_HI = _gap_tables()
_HUMAN_WAIT = np.zeros((11, 10), bool)
_HUMAN_WAIT[np.ix_([_C, _AI, _AIN, _HS, _HA], [_A, _B])] = True


def _late(rng, t: np.ndarray, cap: np.ndarray, share: float) -> np.ndarray:
    """updated_at for records of which `share` arrive 1-3 days late (same UTC time of day
    or a little later on that day), never past the workspace's cap."""
    late = np.flatnonzero(rng.random(len(t)) < share)
    k = rng.integers(1, 4, len(late))
    jitter = rng.integers(0, 1800, len(late)) * _US
    new = t[late] + k * _DAY_US
    day_end = (new // _DAY_US + 1) * _DAY_US - 1
    new = np.minimum(new + jitter, day_end)
    out = t.copy()
    ok = new <= cap[late]
    out[late[ok]] = new[ok]
    return out


# --------------------------------------------------------------------------------------
# conversations, messages, CSAT, mentions: one chunk
# --------------------------------------------------------------------------------------



def _local_business_times(rng, world: _World, ws: np.ndarray, n: int,
                          trend: float = 0.3) -> np.ndarray:
    """UTC microseconds of n moments in the workspaces' local business hours (weekdays
    busier, a few in the early morning / evening and around local midnight)."""
    days = world.days
    d = np.arange(days)
    weekday = np.array([(world.start + dt.timedelta(days=int(i))).weekday() for i in d])
    w = np.where(weekday >= 5, 0.35, 1.0) * (1.0 + trend * d / max(days - 1, 1))
    day = _choice(rng, np.cumsum(w / w.sum()), n)
    u = rng.random((3, n))
    # business hours 08:00-18:30, peaking around 13:00 (sum of two uniforms)
    tod = 8 * 3600 + (u[1] + u[2]) * (5.25 * 3600)
    shoulder = (u[0] >= 0.84) & (u[0] < 0.95)  # early morning or evening
    tod = np.where(shoulder, np.where(u[1] < 0.5, 6 * 3600 + u[2] * 7200,
                                      18.5 * 3600 + u[2] * 4 * 3600), tod)
    midnight = u[0] >= 0.95  # 22:30-24:00 or 00:05-01:30
    tod = np.where(midnight, np.where(u[1] < 0.5, 22.5 * 3600 + u[2] * 5400,
                                      300 + u[2] * 5100), tod)
    local = (_epoch_us(world.start) // _US + day * _DAY_S + tod.astype(np.int64)) * _US
    return _local_to_utc(local, world.ws_tz[ws], world.tz_names)


def _pick_agents(rng, world: _World, ws: np.ndarray, when: np.ndarray):
    """Primary agent (weighted; not one deactivated within 10 days) and a teammate."""
    n = len(ws)
    a = np.searchsorted(world.cum_all, ws + rng.random(n), side="right")
    stale = world.ag_deact_at[a] - 10 * _DAY_US < when
    if stale.any():
        a[stale] = np.searchsorted(world.cum_act, ws[stale] + rng.random(int(stale.sum())),
                                   side="right")
    start, nact = world.ag_start[ws], world.ag_active[ws]
    rel = a - start
    in_active = rel < nact
    shift = (rng.random(n) * (nact - 1)).astype(np.int64)
    b = np.where(in_active, start + (rel + 1 + shift) % nact,
                 start + (rng.random(n) * nact).astype(np.int64))
    return a.astype(np.int64), b.astype(np.int64)


def _grouped_choice(rng, group: np.ndarray, group_ids: list[int]) -> np.ndarray:
    """Block type per row, drawn from the catalog group group_ids[group[row]]."""
    out = np.empty(len(group), np.int64)
    u = rng.random(len(group))
    for g, gid in enumerate(group_ids):
        sel = group == g
        ids, cum = _GROUP_IDS[gid], _GROUP_CUM[gid]
        out[sel] = ids[np.minimum(np.searchsorted(cum, u[sel], side="right"), len(ids) - 1)]
    return out


def _gen_chunk(world: _World, seed: int, chunk: int, n: int, ctr: _Counters) -> dict:
    rng = _rng(seed, 2, chunk)
    # --- conversations: workspace, start, kind, agents
    ws = np.minimum(np.searchsorted(world.ws_cum, rng.random(n), side="right"), world.n_ws - 1)
    start = _local_business_times(rng, world, ws, n)
    order = np.argsort(start, kind="stable")
    ws, start = ws[order], start[order]
    ai = world.ws_ai[ws]
    u = rng.random(n)
    kind = np.where(ai, np.where(u < 0.22, _K_AI, np.where(u < 0.45, _K_HANDOFF,
                                 np.where(u < 0.90, _K_HUMAN, _K_OUTBOUND))),
                    np.where(u < 0.88, _K_HUMAN, _K_OUTBOUND))
    a, b = _pick_agents(rng, world, ws, start)
    h_human = 1 + _choice(rng, np.cumsum([0.34, 0.30, 0.19, 0.11, 0.06]), n)
    h_out = _choice(rng, np.cumsum([0.25, 0.40, 0.25, 0.10]), n)
    rounds = np.where(kind == _K_AI, 0, np.where(kind == _K_OUTBOUND, h_out, h_human))

    # --- blocks -> tokens
    opening = _grouped_choice(rng, kind, [0, 1, 2, 3])
    n_rounds = int(rounds.sum())
    r_conv = np.repeat(np.arange(n), rounds)
    r_pos = np.arange(n_rounds) - np.repeat(_segment_starts(rounds), rounds)
    r_len = rounds[r_conv]
    r_class = np.where(r_len == 1, 3, np.where(r_pos == 0, 0, np.where(r_pos == r_len - 1, 2, 1)))
    r_type = _grouped_choice(rng, r_class, [4, 5, 6, 7])
    n_blocks = 1 + rounds
    b_start = _segment_starts(n_blocks)
    btype = np.empty(int(n_blocks.sum()), np.int64)
    btype[b_start] = opening
    btype[b_start[r_conv] + 1 + r_pos] = r_type
    b_conv = np.repeat(np.arange(n), n_blocks)
    blen = _BLOCK_LEN[btype]
    m_block = np.repeat(np.arange(len(btype)), blen)
    m_pos = np.arange(len(m_block)) - np.repeat(_segment_starts(blen), blen)
    tok = _BLOCK_TOK[btype[m_block], m_pos].astype(np.int64)
    mc = b_conv[m_block]  # conversation (chunk-local) of each message
    m = len(tok)
    m_count = np.bincount(mc, minlength=n)
    m_first = _segment_starts(m_count)
    is_first = np.zeros(m, bool)
    is_first[m_first] = True
    prev = np.empty(m, np.int64)
    prev[0] = _START
    prev[1:] = tok[:-1]
    prev[is_first] = _START

    # --- authors and times
    actor = _TOK_ACTOR[tok]
    author = np.where(actor == 1, a[mc], np.where(actor == 2, b[mc], -1))
    mw = ws[mc]
    mu = _GAP_MU[prev, tok]
    wait = _HUMAN_WAIT[prev, tok]
    adj = np.log(world.ws_speed[mw]) + np.log(world.ag_speed[np.maximum(author, 0)])
    mu = mu + np.where(wait, adj, 0.0)
    gap = np.exp(mu + _GAP_SIG[prev, tok] * rng.standard_normal(m))
    gap = np.clip(gap, _GAP_LO[prev, tok], _GAP_HI[prev, tok]).astype(np.int64)
    gap[is_first] = 0
    cs = np.cumsum(gap)
    offset_s = cs - cs[m_first][mc]
    # sub-second parts: none (70 %), milliseconds (25 %), microseconds (5 %)
    uf = rng.random(m)
    millis = 1000 * (1 + ((uf - 0.70) / 0.25 * 999).astype(np.int64))
    micros = 1 + ((uf - 0.95) / 0.05 * (_US - 2)).astype(np.int64)
    frac = np.where(uf < 0.70, 0, np.where(uf < 0.95, millis, micros))
    t = start[mc] + offset_s * _US + frac
    # a deactivated agent never writes after deactivation: the teammate takes over
    moved = (author >= 0) & (t > world.ag_deact_at[np.maximum(author, 0)])
    author = np.where(moved, b[mc], author)

    # --- cut at the export moment (end of end_date, local)
    cap_m = world.ws_cap[mw]
    keep = t <= cap_m
    keep[m_first] = True  # conversations start on or before end_date
    truncated = np.bincount(mc[~keep], minlength=n) > 0
    tok, mc, author, t, mw, cap_m = tok[keep], mc[keep], author[keep], t[keep], mw[keep], \
        cap_m[keep]
    m = len(tok)
    m_count = np.bincount(mc, minlength=n)
    m_first = _segment_starts(m_count)
    m_last = m_first + m_count - 1
    created = t[m_first]
    last_t = t[m_last]
    last_tok = tok[m_last]

    # --- message columns
    author_type = _TOK_AUTHOR[tok].astype(np.int64)
    mtype = _TOK_MTYPE[tok].astype(np.int64)
    agent_reply = (author_type == 1) & (mtype == 0)
    assist = np.full(m, -1, np.int64)
    ar = np.flatnonzero(agent_reply)
    ua, ub = rng.random((2, len(ar)))
    assist[ar] = np.where(ua < world.ag_ai[author[ar]], np.where(ub < 0.4, 1, 2),
                          np.where(ub < 0.8, 0, -1))
    msg_ids = ctr.msg + np.arange(m, dtype=np.int64)
    ctr.msg += m
    conv_ids = ctr.conv + np.arange(n, dtype=np.int64)
    ctr.conv += n
    msg_upd = _late(rng, t, cap_m, 0.03)
    messages = _Batch("messages", {
        "message_id": msg_ids, "conversation_id": conv_ids[mc], "workspace_id": mw,
        "created_at": t, "author_type": author_type, "author_agent_id": author,
        "message_type": mtype, "ai_assist": assist, "updated_at": msg_upd,
    })
    # stale copies: first exported without the AI-assist flag, corrected later
    fix = agent_reply & (rng.random(m) < 0.004) & (assist >= 0)
    fix_at = np.minimum(t + rng.integers(60, 6 * 3600, m) * _US, cap_m)
    fix &= fix_at > msg_upd
    msg_stale = messages.take(np.flatnonzero(fix))
    msg_stale.cols["ai_assist"] = np.full(len(msg_stale), -1, np.int64)
    messages.cols["updated_at"] = np.where(fix, fix_at, msg_upd)
    msg_re = _reexport(rng, messages, cap_m, 0.01)

    # --- conversation columns
    close_gap = np.where(kind == _K_AI, _lognormal(rng, 1200, 1.0, 60, 6 * 3600, n),
                         _lognormal(rng, 3 * 3600, 1.2, 300, 3 * _DAY_S, n))
    closed_at = last_t + (close_gap * _US).astype(np.int64)
    cap_c = world.ws_cap[ws]
    closed = (~truncated) & (closed_at <= cap_c) & (rng.random(n) < 0.93)
    by_agent = (_TOK_AUTHOR[last_tok] == 1) | (_TOK_AUTHOR[last_tok] == 2)
    status = np.where(closed, 2, np.where(by_agent & (rng.random(n) < 0.5), 1, 0))
    snooze_at = np.minimum(last_t + rng.integers(60, 4 * 3600, n) * _US, cap_c)
    conv_upd = np.where(closed, closed_at, np.where(status == 1, snooze_at, last_t))
    human_pos = np.where(author >= 0, np.arange(m), -1)
    last_human = np.maximum.reduceat(human_pos, m_first)
    assignee = np.where(last_human >= 0, author[np.maximum(last_human, 0)], -1)
    assignee = np.where((assignee < 0) & (kind != _K_AI) & (rng.random(n) < 0.5), a, assignee)
    p_channel = np.array([[0.10, 0.55, 0.20, 0.15, 0.00, 0.00],
                          [0.10, 0.55, 0.20, 0.15, 0.00, 0.00],
                          [0.50, 0.30, 0.10, 0.00, 0.05, 0.05],
                          [0.80, 0.00, 0.10, 0.00, 0.00, 0.10]]).cumsum(axis=1)
    channel = np.minimum((rng.random(n)[:, None] > p_channel[kind]).sum(axis=1), 5)
    priority = _choice(rng, np.cumsum([0.85, 0.12, 0.03]), n)
    conversations = _Batch("conversations", {
        "conversation_id": conv_ids, "workspace_id": ws.astype(np.int64),
        "created_at": created, "channel": channel, "assignee_agent_id": assignee,
        "status": status, "closed_at": np.where(closed, closed_at, np.iinfo(np.int64).min),
        "updated_at": conv_upd, "customer_email": conv_ids, "priority": priority,
    })
    # the version exported when the conversation opened: whenever the final one lands on a
    # later UTC day (so a day-by-day landing always has the conversation), and sometimes else
    first_version = (conv_upd > created) & ((conv_upd // _DAY_US > created // _DAY_US)
                                            | (rng.random(n) < 0.15))
    conv_stale = conversations.take(np.flatnonzero(first_version))
    k = len(conv_stale)
    conv_stale.cols["status"] = np.zeros(k, np.int64)
    conv_stale.cols["closed_at"] = np.full(k, np.iinfo(np.int64).min)
    conv_stale.cols["updated_at"] = created[first_version]
    out_first = kind[first_version] == _K_OUTBOUND
    conv_stale.cols["assignee_agent_id"] = np.where(out_first, a[first_version], -1)
    conv_re = _reexport(rng, conversations, cap_c, 0.02)

    # --- CSAT on closed conversations (latest response per conversation counts)
    rated = closed & (rng.random(n) < np.where(kind == _K_AI, 0.25, 0.33))
    sub1 = closed_at + (_lognormal(rng, 2400, 1.3, 30, 2 * _DAY_S, n) * _US).astype(np.int64)
    rated &= sub1 <= cap_c
    mean = np.where(assignee >= 0, 4.15 + 0.7 * world.ag_quality[np.maximum(assignee, 0)], 3.9)
    score1 = np.clip(np.rint(mean + 1.1 * rng.standard_normal(n)), 1, 5).astype(np.int64)
    sub2 = sub1 + (_lognormal(rng, 6 * 3600, 1.0, 600, 4 * _DAY_S, n) * _US).astype(np.int64)
    rerated = rated & (rng.random(n) < 0.08) & (sub2 <= cap_c)
    score2 = np.clip(score1 + rng.choice([-3, -2, -1, 1, 2], n), 1, 5)
    ci = np.concatenate([np.flatnonzero(rated), np.flatnonzero(rerated)])
    sub = np.concatenate([sub1[rated], sub2[rerated]])
    so = np.argsort(sub, kind="stable")
    ci, sub = ci[so], sub[so]
    score = np.concatenate([score1[rated], score2[rerated]])[so]
    nc = len(ci)
    csat = _Batch("csat_responses", {
        "response_id": ctr.csat + np.arange(nc, dtype=np.int64),
        "conversation_id": conv_ids[ci], "workspace_id": ws[ci].astype(np.int64),
        "score": score, "submitted_at": sub,
        "updated_at": _late(rng, sub, cap_c[ci], 0.05),
    })
    ctr.csat += nc
    csat_re = _reexport(rng, csat, cap_c[ci], 0.02)

    # --- mentions: one per @mentioned agent in a note (sometimes a second agent too)
    target = _TOK_MENTION[tok]
    note_rows = np.flatnonzero(target > 0)
    who = np.where(target[note_rows] == 1, a[mc[note_rows]], b[mc[note_rows]])
    nw = mw[note_rows]
    third = world.ag_start[nw] + (rng.random(len(note_rows)) * world.ag_active[nw]).astype(
        np.int64)
    extra = (rng.random(len(note_rows)) < 0.15) & (third != who) & (third != author[note_rows])
    rows = np.concatenate([note_rows, note_rows[extra]])
    who = np.concatenate([who, third[extra]])
    so = np.argsort(rows, kind="stable")
    rows, who = rows[so], who[so]
    own = who == author[rows]  # a note moved to the teammate would mention its own author
    rows, who = rows[~own], who[~own]
    nm = len(rows)
    mentions = _Batch("mentions", {
        "mention_id": ctr.mention + np.arange(nm, dtype=np.int64),
        "message_id": msg_ids[rows], "conversation_id": conv_ids[mc[rows]],
        "workspace_id": mw[rows], "mentioned_agent_id": who, "created_at": t[rows],
        "updated_at": messages.cols["updated_at"][rows],
    })
    ctr.mention += nm

    return {
        "conversations": [conv_stale, conversations, conv_re],
        "messages": [msg_stale, messages, msg_re],
        "csat_responses": [_Batch("csat_responses", {}), csat, csat_re],
        "mentions": [_Batch("mentions", {}), mentions, _Batch("mentions", {})],
        "n_conversations": n,
    }


def _reexport(rng, batch: _Batch, cap: np.ndarray, share: float) -> _Batch:
    """Copies of some records written again later with a newer updated_at."""
    n = len(batch)
    upd = batch.cols["updated_at"]
    later = upd + rng.integers(3600, 5 * _DAY_S, n) * _US
    pick = (rng.random(n) < share) & (later <= cap)
    out = batch.take(np.flatnonzero(pick))
    out.cols["updated_at"] = later[pick]
    return out


def _gen_nps(world: _World, seed: int, conversations: int, ctr: _Counters) -> list[_Batch]:
    rng = _rng(seed, 3)
    expected = conversations * world.ws_weight / world.ws_weight.sum()
    counts = 2 + rng.poisson(0.06 * expected)
    ws = np.repeat(np.arange(world.n_ws), counts)
    n = len(ws)
    sub = _local_business_times(rng, world, ws, n, trend=0.0)
    so = np.lexsort((ws, sub))
    ws, sub = ws[so], sub[so]
    score = _choice(rng, np.cumsum([2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30]) / 100, n)
    cap = world.ws_cap[ws]
    nps = _Batch("nps_responses", {
        "response_id": ctr.nps + np.arange(n, dtype=np.int64),
        "workspace_id": ws.astype(np.int64), "score": score.astype(np.int64),
        "submitted_at": sub, "updated_at": _late(rng, sub, cap, 0.05),
    })
    ctr.nps += n
    return [_Batch("nps_responses", {}), nps, _reexport(rng, nps, cap, 0.02)]
