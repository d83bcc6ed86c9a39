"""Conversations, messages, CSAT responses and mentions (a chunk of conversations at a
time), and NPS responses.

A conversation is a script of message tokens (one token per message: who writes what)
assembled from blocks: an opening that depends on the conversation's kind, then zero or
more rounds with human agents. The time between two messages depends on the pair of
tokens (how long a customer waits for a human, an AI agent answers in seconds, ...).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .records import (
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    NULL_TIMESTAMP,
    SECONDS_PER_DAY,
    Batch,
    NextIds,
)
from .sampling import clipped_lognormal, draw_from_cumulative, seeded_rng, segment_starts
from .world import World, epoch_micros, local_to_utc

# --------------------------------------------------------------------------------------
# message tokens and conversation scripts
# --------------------------------------------------------------------------------------

# message tokens: one message each
(
    CUSTOMER,  # the customer writes
    AGENT_REPLY,  # the conversation's (primary) agent replies
    TEAMMATE_REPLY,  # a teammate replies
    AGENT_NOTE_TO_TEAMMATE,  # the agent writes an internal note that @mentions the teammate
    TEAMMATE_NOTE_TO_AGENT,  # the teammate writes a note that @mentions the agent
    AGENT_NOTE,  # the agent writes a note (no mention)
    AI_REPLY,  # the AI agent replies
    SYSTEM_HANDOFF,  # the system hands the conversation to the humans
    AI_HANDOFF,  # the AI agent hands it over
    AI_NOTE,  # the AI agent writes a note
) = range(10)
CONVERSATION_START = 10  # the "previous token" of a conversation's first message
# per token: author type (index into AUTHOR_TYPES), message type (into MESSAGE_TYPES),
# who writes it (0 nobody in particular, 1 the agent, 2 the teammate), who a note @mentions
TOKEN_AUTHOR_TYPE = np.array([0, 1, 1, 1, 1, 1, 2, 3, 2, 2], np.int8)
TOKEN_MESSAGE_TYPE = np.array([0, 0, 0, 1, 1, 1, 0, 2, 2, 1], np.int8)
TOKEN_WRITER = np.array([0, 1, 2, 1, 2, 1, 0, 0, 0, 0], np.int8)
TOKEN_MENTIONS = np.array([0, 0, 0, 2, 1, 0, 0, 0, 0, 0], np.int8)
_THE_AGENT, _THE_TEAMMATE = 1, 2  # (TOKEN_WRITER and TOKEN_MENTIONS values)

# conversation kinds: the AI agent resolves it alone, the AI agent hands it to the humans,
# humans only, an agent writes first (outbound)
KIND_AI, KIND_HANDOFF, KIND_HUMAN, KIND_OUTBOUND = range(4)

# short names for the two tables below
_C, _AI, _A, _B = CUSTOMER, AI_REPLY, AGENT_REPLY, TEAMMATE_REPLY
_NOTE, _NOTE_TO_B, _NOTE_TO_A = AGENT_NOTE, AGENT_NOTE_TO_TEAMMATE, TEAMMATE_NOTE_TO_AGENT
Script = tuple[int, ...]

# per kind: (tokens, probability) of the opening of a conversation
OPENINGS: list[list[tuple[Script, float]]] = [
    [((_C, _AI), 0.45), ((_C, _AI, _C, _AI), 0.30), ((_C, _C, _AI, _C), 0.15),
     ((_C, _AI, _C, _AI, _C, _AI), 0.10)],
    [((_C, _AI, _C, SYSTEM_HANDOFF), 0.35), ((_C, _AI, AI_HANDOFF), 0.25),
     ((_C, _AI, _C, AI_HANDOFF, AI_NOTE), 0.20), ((_C, _C, _AI, _C, _C, SYSTEM_HANDOFF), 0.10),
     ((_C, SYSTEM_HANDOFF), 0.10)],
    [((_C,), 0.70), ((_C, _C), 0.25), ((_C, _C, _C), 0.05)],
    [((_A, _C), 0.75), ((_A, _C, _C), 0.10), ((_A, _A, _C), 0.05), ((_A,), 0.10)],
]
# (tokens, probability) of a round with the human agents, by its position: first of several,
# middle, last of several, the only one
ROUNDS: list[list[tuple[Script, float]]] = [
    [((_A, _C), 0.55), ((_A, _C, _C), 0.20), ((_A, _A, _C), 0.08), ((_NOTE, _A, _C), 0.05),
     ((_A, _NOTE_TO_B, _C), 0.07), ((_NOTE_TO_B, _B, _C), 0.05)],
    [((_A, _C), 0.45), ((_A, _C, _C), 0.12), ((_A, _A, _C), 0.05), ((_B, _C), 0.13),
     ((_NOTE_TO_B, _B, _C), 0.10), ((_A, _NOTE_TO_B, _C), 0.05), ((_NOTE, _A, _C), 0.05),
     ((_NOTE_TO_A, _A, _C), 0.05)],
    [((_A,), 0.45), ((_A, _C), 0.25), ((_B,), 0.10), ((_NOTE_TO_B, _B), 0.08),
     ((_A, _NOTE), 0.04), ((_B, _C), 0.08)],
    [((_A,), 0.50), ((_A, _C), 0.30), ((_A, _A), 0.05), ((_NOTE_TO_B, _B), 0.10),
     ((_A, _NOTE), 0.05)],
]
del _C, _AI, _A, _B, _NOTE, _NOTE_TO_B, _NOTE_TO_A
_FIRST_OF_SEVERAL, _MIDDLE, _LAST_OF_SEVERAL, _ONLY = range(4)
# the groups of the block catalog: OPENINGS then ROUNDS
_OPENING_GROUPS = [0, 1, 2, 3]  # by kind
_ROUND_GROUPS = [4, 5, 6, 7]  # by round position


def _block_catalog() -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Flatten OPENINGS and ROUNDS: a token matrix (one row per block, -1 padded), block
    lengths, and per group its block numbers and cumulative probabilities."""
    blocks: list[Script] = []
    group_blocks: list[np.ndarray] = []
    group_cumulative: list[np.ndarray] = []
    for table in OPENINGS + ROUNDS:
        numbers = []
        for tokens, _probability in table:
            numbers.append(len(blocks))
            blocks.append(tokens)
        probabilities = np.array([p for _tokens, p in table], np.float64)
        group_blocks.append(np.array(numbers, np.int16))
        group_cumulative.append(np.cumsum(probabilities / probabilities.sum()))
    width = max(len(block) for block in blocks)
    tokens = np.full((len(blocks), width), -1, np.int8)
    for i, block in enumerate(blocks):
        tokens[i, : len(block)] = block
    lengths = np.array([len(block) for block in blocks], np.int64)
    return tokens, lengths, group_blocks, group_cumulative


BLOCK_TOKENS, BLOCK_LENGTHS, GROUP_BLOCKS, GROUP_CUMULATIVE = _block_catalog()


def _gap_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seconds between a message and the previous one, by (previous token, token):
    lognormal(log median, sigma) clipped to [min, max]."""
    log_median = np.zeros((11, 10))
    sigma = np.zeros((11, 10))
    shortest = np.zeros((11, 10))
    longest = np.zeros((11, 10))

    def gap(previous: list[int], current: list[int], median: float, spread: float,
            low: float, high: float) -> None:
        for p in previous:
            for c in current:
                log_median[p, c], sigma[p, c] = np.log(median), spread
                shortest[p, c], longest[p, c] = low, high

    customer = [CUSTOMER]
    human = [AGENT_REPLY, TEAMMATE_REPLY]
    notes = [AGENT_NOTE_TO_TEAMMATE, TEAMMATE_NOTE_TO_AGENT, AGENT_NOTE]
    ai_side = [AI_REPLY, AI_NOTE, SYSTEM_HANDOFF, AI_HANDOFF]
    handoffs = [SYSTEM_HANDOFF, AI_HANDOFF]
    gap(customer, customer, 90, 0.8, 5, 1800)
    gap([AI_REPLY, AI_NOTE], customer, 150, 0.9, 5, 3 * 3600)
    gap(human + notes, customer, 5400, 1.3, 30, 2 * SECONDS_PER_DAY)
    gap(handoffs, customer, 300, 1.0, 10, 7200)
    gap(customer + human + notes, [AI_REPLY], 8, 0.5, 2, 60)
    gap(ai_side, [AI_REPLY], 20, 0.5, 2, 120)
    gap(customer + human + notes + ai_side, handoffs, 20, 0.6, 2, 300)
    gap(customer + human + notes + ai_side, [AI_NOTE], 3, 0.3, 1, 10)
    gap(customer + ai_side, human, 900, 1.2, 15, 20 * 3600)  # a customer waits for a human
    gap(human, human, 240, 0.8, 10, 7200)
    gap(notes, human, 1500, 1.0, 30, 8 * 3600)
    gap(customer + ai_side, notes, 400, 1.0, 10, 6 * 3600)
    gap(human + notes, notes, 120, 0.8, 5, 3600)
    return log_median, sigma, shortest, longest


GAP_LOG_MEDIAN, GAP_SIGMA, GAP_MIN, GAP_MAX = _gap_tables()
# the gaps in which a customer waits for a human (they scale with the workspace and agent)
WAITS_FOR_HUMAN = np.zeros((11, 10), bool)
WAITS_FOR_HUMAN[np.ix_([CUSTOMER, AI_REPLY, AI_NOTE, SYSTEM_HANDOFF, AI_HANDOFF],
                       [AGENT_REPLY, TEAMMATE_REPLY])] = True

# --------------------------------------------------------------------------------------
# shared steps
# --------------------------------------------------------------------------------------


def _late_updated_at(rng, times: np.ndarray, window_end: np.ndarray,
                     share: float) -> np.ndarray:
    """updated_at for records of which `share` arrive 1-3 days late (same UTC time of day
    or a little later on that day), never past their workspace's window_end."""
    late = np.flatnonzero(rng.random(len(times)) < share)
    days_late = rng.integers(1, 4, len(late))
    jitter = rng.integers(0, 1800, len(late)) * MICROS_PER_SECOND
    arrives = times[late] + days_late * MICROS_PER_DAY
    day_end = (arrives // MICROS_PER_DAY + 1) * MICROS_PER_DAY - 1
    arrives = np.minimum(arrives + jitter, day_end)
    out = times.copy()
    in_window = arrives <= window_end[late]
    out[late[in_window]] = arrives[in_window]
    return out


def _reexports(rng, batch: Batch, window_end: np.ndarray, share: float) -> Batch:
    """Copies of some records written again later with a newer updated_at."""
    n = len(batch)
    again_at = batch.columns["updated_at"] + rng.integers(
        3600, 5 * SECONDS_PER_DAY, n) * MICROS_PER_SECOND
    picked = (rng.random(n) < share) & (again_at <= window_end)
    out = batch.take(np.flatnonzero(picked))
    out.columns["updated_at"] = again_at[picked]
    return out


def local_business_times(rng, world: World, workspace: np.ndarray, n: int,
                         trend: float = 0.3) -> np.ndarray:
    """UTC microseconds of n moments in the workspaces' local business hours (weekdays
    busier, later days busier by `trend`, a few in the early morning / evening and around
    local midnight)."""
    days = world.days
    day_number = np.arange(days)
    weekday = np.array([(world.start + dt.timedelta(days=int(i))).weekday()
                        for i in day_number])
    day_weight = np.where(weekday >= 5, 0.35, 1.0) * (
        1.0 + trend * day_number / max(days - 1, 1))
    day = draw_from_cumulative(rng, np.cumsum(day_weight / day_weight.sum()), n)
    which, first, second = rng.random((3, n))
    # business hours 08:00-18:30, peaking around 13:00 (sum of two uniforms)
    time_of_day = 8 * 3600 + (first + second) * (5.25 * 3600)
    shoulder = (which >= 0.84) & (which < 0.95)  # early morning or evening
    time_of_day = np.where(shoulder, np.where(first < 0.5, 6 * 3600 + second * 7200,
                                              18.5 * 3600 + second * 4 * 3600), time_of_day)
    midnight = which >= 0.95  # 22:30-24:00 or 00:05-01:30
    time_of_day = np.where(midnight, np.where(first < 0.5, 22.5 * 3600 + second * 5400,
                                              300 + second * 5100), time_of_day)
    local = (epoch_micros(world.start) // MICROS_PER_SECOND + day * SECONDS_PER_DAY
             + time_of_day.astype(np.int64)) * MICROS_PER_SECOND
    return local_to_utc(local, world.workspace_zone[workspace], world.zone_names)


# --------------------------------------------------------------------------------------
# one chunk of conversations
# --------------------------------------------------------------------------------------


def _pick_agents(rng, world: World, workspace: np.ndarray,
                 when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per conversation, its agent (by weight; not one deactivated within 10 days) and a
    teammate (another active agent of the workspace)."""
    n = len(workspace)
    agent = np.searchsorted(world.agent_cum_weight, workspace + rng.random(n), side="right")
    leaving = world.agent_deactivated_at[agent] - 10 * MICROS_PER_DAY < when
    if leaving.any():
        agent[leaving] = np.searchsorted(
            world.active_agent_cum_weight,
            workspace[leaving] + rng.random(int(leaving.sum())), side="right")
    first, active = world.first_agent[workspace], world.active_agent_count[workspace]
    position = agent - first
    is_active = position < active
    shift = (rng.random(n) * (active - 1)).astype(np.int64)
    teammate = np.where(is_active, first + (position + 1 + shift) % active,
                        first + (rng.random(n) * active).astype(np.int64))
    return agent.astype(np.int64), teammate.astype(np.int64)


def _draw_blocks(rng, group: np.ndarray, catalog_groups: list[int]) -> np.ndarray:
    """Block number per row, drawn from the catalog group catalog_groups[group[row]]."""
    out = np.empty(len(group), np.int64)
    uniform = rng.random(len(group))
    for g, catalog_group in enumerate(catalog_groups):
        rows = group == g
        blocks, cumulative = GROUP_BLOCKS[catalog_group], GROUP_CUMULATIVE[catalog_group]
        drawn = np.searchsorted(cumulative, uniform[rows], side="right")
        out[rows] = blocks[np.minimum(drawn, len(blocks) - 1)]
    return out


def _draw_conversations(rng, world: World, n: int) -> tuple[np.ndarray, ...]:
    """Per conversation, in order of start: workspace, start (UTC us), kind, agent, teammate
    and number of rounds with the human agents."""
    workspace = np.minimum(
        np.searchsorted(world.workspace_cum_share, rng.random(n), side="right"),
        world.workspace_count - 1)
    start = local_business_times(rng, world, workspace, n)
    order = np.argsort(start, kind="stable")
    workspace, start = workspace[order], start[order]
    uses_ai = world.workspace_uses_ai[workspace]
    uniform = rng.random(n)
    kind = np.where(
        uses_ai,
        np.where(uniform < 0.22, KIND_AI, np.where(uniform < 0.45, KIND_HANDOFF,
                                                   np.where(uniform < 0.90, KIND_HUMAN,
                                                            KIND_OUTBOUND))),
        np.where(uniform < 0.88, KIND_HUMAN, KIND_OUTBOUND))
    agent, teammate = _pick_agents(rng, world, workspace, start)
    human_rounds = 1 + draw_from_cumulative(rng, np.cumsum([0.34, 0.30, 0.19, 0.11, 0.06]), n)
    outbound_rounds = draw_from_cumulative(rng, np.cumsum([0.25, 0.40, 0.25, 0.10]), n)
    rounds = np.where(kind == KIND_AI, 0,
                      np.where(kind == KIND_OUTBOUND, outbound_rounds, human_rounds))
    return workspace, start, kind, agent, teammate, rounds


def _message_tokens(rng, kind: np.ndarray, rounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every conversation's messages, in order: (token, conversation) per message."""
    n = len(kind)
    opening = _draw_blocks(rng, kind, _OPENING_GROUPS)
    round_conversation = np.repeat(np.arange(n), rounds)
    round_position = np.arange(int(rounds.sum())) - np.repeat(segment_starts(rounds), rounds)
    round_count = rounds[round_conversation]
    round_class = np.where(round_count == 1, _ONLY, np.where(
        round_position == 0, _FIRST_OF_SEVERAL,
        np.where(round_position == round_count - 1, _LAST_OF_SEVERAL, _MIDDLE)))
    round_block = _draw_blocks(rng, round_class, _ROUND_GROUPS)
    # blocks of every conversation: its opening, then its rounds
    block_count = 1 + rounds
    first_block = segment_starts(block_count)
    block = np.empty(int(block_count.sum()), np.int64)
    block[first_block] = opening
    block[first_block[round_conversation] + 1 + round_position] = round_block
    block_conversation = np.repeat(np.arange(n), block_count)
    # messages: the tokens of every block
    length = BLOCK_LENGTHS[block]
    message_block = np.repeat(np.arange(len(block)), length)
    position_in_block = np.arange(len(message_block)) - np.repeat(segment_starts(length), length)
    token = BLOCK_TOKENS[block[message_block], position_in_block].astype(np.int64)
    return token, block_conversation[message_block]


def _authors_and_times(rng, world: World, token: np.ndarray, conversation: np.ndarray,
                       workspace: np.ndarray, start: np.ndarray, agent: np.ndarray,
                       teammate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per message: its author (agent number, -1 for none) and created_at (UTC us)."""
    n, n_messages = len(start), len(token)
    first_message = segment_starts(np.bincount(conversation, minlength=n))
    is_first = np.zeros(n_messages, bool)
    is_first[first_message] = True
    previous = np.empty(n_messages, np.int64)
    previous[0] = CONVERSATION_START
    previous[1:] = token[:-1]
    previous[is_first] = CONVERSATION_START

    writer = TOKEN_WRITER[token]
    author = np.where(writer == _THE_AGENT, agent[conversation],
                      np.where(writer == _THE_TEAMMATE, teammate[conversation], -1))
    message_workspace = workspace[conversation]
    log_median = GAP_LOG_MEDIAN[previous, token]
    waits_for_human = WAITS_FOR_HUMAN[previous, token]
    slower = (np.log(world.workspace_speed[message_workspace])
              + np.log(world.agent_speed[np.maximum(author, 0)]))
    log_median = log_median + np.where(waits_for_human, slower, 0.0)
    gap = np.exp(log_median + GAP_SIGMA[previous, token] * rng.standard_normal(n_messages))
    gap = np.clip(gap, GAP_MIN[previous, token], GAP_MAX[previous, token]).astype(np.int64)
    gap[is_first] = 0
    elapsed = np.cumsum(gap)
    seconds_in = elapsed - elapsed[first_message][conversation]
    # sub-second parts: none (70 %), milliseconds (25 %), microseconds (5 %)
    uniform = rng.random(n_messages)
    millis = 1000 * (1 + ((uniform - 0.70) / 0.25 * 999).astype(np.int64))
    micros = 1 + ((uniform - 0.95) / 0.05 * (MICROS_PER_SECOND - 2)).astype(np.int64)
    fraction = np.where(uniform < 0.70, 0, np.where(uniform < 0.95, millis, micros))
    created = start[conversation] + seconds_in * MICROS_PER_SECOND + fraction
    # a deactivated agent never writes after deactivation: the teammate takes over
    gone = (author >= 0) & (created > world.agent_deactivated_at[np.maximum(author, 0)])
    author = np.where(gone, teammate[conversation], author)
    return author, created


def _message_records(rng, world: World, token: np.ndarray, author: np.ndarray,
                     created: np.ndarray, workspace: np.ndarray, window_end: np.ndarray,
                     message_ids: np.ndarray, conversation_ids: np.ndarray) -> list[Batch]:
    """Message records per slot: first versions (without the AI-assist flag), current
    ones, later re-exports."""
    n_messages = len(token)
    author_type = TOKEN_AUTHOR_TYPE[token].astype(np.int64)
    message_type = TOKEN_MESSAGE_TYPE[token].astype(np.int64)
    agent_reply = (author_type == 1) & (message_type == 0)
    ai_assist = np.full(n_messages, -1, np.int64)
    replies = np.flatnonzero(agent_reply)
    assisted, variant = rng.random((2, len(replies)))
    ai_assist[replies] = np.where(
        assisted < world.agent_ai_assist_rate[author[replies]],
        np.where(variant < 0.4, 1, 2), np.where(variant < 0.8, 0, -1))
    updated = _late_updated_at(rng, created, window_end, 0.03)
    messages = Batch("messages", {
        "message_id": message_ids, "conversation_id": conversation_ids, "workspace_id": workspace,
        "created_at": created, "author_type": author_type, "author_agent_id": author,
        "message_type": message_type, "ai_assist": ai_assist, "updated_at": updated,
    })
    # first versions: exported without the AI-assist flag, corrected later
    corrected = agent_reply & (rng.random(n_messages) < 0.004) & (ai_assist >= 0)
    corrected_at = np.minimum(
        created + rng.integers(60, 6 * 3600, n_messages) * MICROS_PER_SECOND, window_end)
    corrected &= corrected_at > updated
    first_versions = messages.take(np.flatnonzero(corrected))
    first_versions.columns["ai_assist"] = np.full(len(first_versions), -1, np.int64)
    messages.columns["updated_at"] = np.where(corrected, corrected_at, updated)
    return [first_versions, messages, _reexports(rng, messages, window_end, 0.01)]


def _conversation_records(
    rng, world: World, kind: np.ndarray, workspace: np.ndarray, agent: np.ndarray,
    conversation_ids: np.ndarray, truncated: np.ndarray, created: np.ndarray,
    last_time: np.ndarray, last_token: np.ndarray, assignee: np.ndarray,
) -> tuple[list[Batch], np.ndarray, np.ndarray]:
    """Conversation records per slot (the version exported when it opened, the current one,
    later re-exports), and per conversation whether it is closed and when."""
    n = len(kind)
    close_gap = np.where(kind == KIND_AI,
                         clipped_lognormal(rng, 1200, 1.0, 60, 6 * 3600, n),
                         clipped_lognormal(rng, 3 * 3600, 1.2, 300, 3 * SECONDS_PER_DAY, n))
    closed_at = last_time + (close_gap * MICROS_PER_SECOND).astype(np.int64)
    window_end = world.window_end[workspace]
    closed = (~truncated) & (closed_at <= window_end) & (rng.random(n) < 0.93)
    agent_wrote_last = ((TOKEN_AUTHOR_TYPE[last_token] == 1)
                        | (TOKEN_AUTHOR_TYPE[last_token] == 2))
    status = np.where(closed, 2, np.where(agent_wrote_last & (rng.random(n) < 0.5), 1, 0))
    snoozed_at = np.minimum(
        last_time + rng.integers(60, 4 * 3600, n) * MICROS_PER_SECOND, window_end)
    updated = np.where(closed, closed_at, np.where(status == 1, snoozed_at, last_time))
    assignee = np.where((assignee < 0) & (kind != KIND_AI) & (rng.random(n) < 0.5), agent,
                        assignee)
    channel_cumulative = np.array([[0.10, 0.55, 0.20, 0.15, 0.00, 0.00],
                                   [0.10, 0.55, 0.20, 0.15, 0.00, 0.00],
                                   [0.50, 0.30, 0.10, 0.00, 0.05, 0.05],
                                   [0.80, 0.00, 0.10, 0.00, 0.00, 0.10]]).cumsum(axis=1)
    channel = np.minimum((rng.random(n)[:, None] > channel_cumulative[kind]).sum(axis=1), 5)
    priority = draw_from_cumulative(rng, np.cumsum([0.85, 0.12, 0.03]), n)
    conversations = Batch("conversations", {
        "conversation_id": conversation_ids, "workspace_id": workspace.astype(np.int64),
        "created_at": created, "channel": channel, "assignee_agent_id": assignee,
        "status": status, "closed_at": np.where(closed, closed_at, NULL_TIMESTAMP),
        "updated_at": updated, "customer_email": conversation_ids, "priority": priority,
    })
    # the version exported when the conversation opened: whenever the final one lands on a
    # later UTC day (so a day-by-day landing always has the conversation), and sometimes else
    opened_version = (updated > created) & (
        (updated // MICROS_PER_DAY > created // MICROS_PER_DAY) | (rng.random(n) < 0.15))
    when_opened = conversations.take(np.flatnonzero(opened_version))
    k = len(when_opened)
    when_opened.columns["status"] = np.zeros(k, np.int64)
    when_opened.columns["closed_at"] = np.full(k, NULL_TIMESTAMP)
    when_opened.columns["updated_at"] = created[opened_version]
    outbound = kind[opened_version] == KIND_OUTBOUND
    when_opened.columns["assignee_agent_id"] = np.where(outbound, agent[opened_version], -1)
    slots = [when_opened, conversations, _reexports(rng, conversations, window_end, 0.02)]
    return slots, closed, closed_at


def _csat_records(rng, world: World, kind: np.ndarray, workspace: np.ndarray,
                  conversation_ids: np.ndarray, closed: np.ndarray, closed_at: np.ndarray,
                  assignee: np.ndarray, next_ids: NextIds) -> list[Batch]:
    """CSAT responses on closed conversations (some re-rated later: the latest counts)."""
    n = len(kind)
    window_end = world.window_end[workspace]
    rated = closed & (rng.random(n) < np.where(kind == KIND_AI, 0.25, 0.33))
    first_at = closed_at + (clipped_lognormal(rng, 2400, 1.3, 30, 2 * SECONDS_PER_DAY, n)
                            * MICROS_PER_SECOND).astype(np.int64)
    rated &= first_at <= window_end
    mean = np.where(assignee >= 0,
                    4.15 + 0.7 * world.agent_quality[np.maximum(assignee, 0)], 3.9)
    first_score = np.clip(np.rint(mean + 1.1 * rng.standard_normal(n)), 1, 5).astype(np.int64)
    second_at = first_at + (clipped_lognormal(rng, 6 * 3600, 1.0, 600, 4 * SECONDS_PER_DAY, n)
                            * MICROS_PER_SECOND).astype(np.int64)
    rerated = rated & (rng.random(n) < 0.08) & (second_at <= window_end)
    second_score = np.clip(first_score + rng.choice([-3, -2, -1, 1, 2], n), 1, 5)
    conversation = np.concatenate([np.flatnonzero(rated), np.flatnonzero(rerated)])
    submitted = np.concatenate([first_at[rated], second_at[rerated]])
    order = np.argsort(submitted, kind="stable")
    conversation, submitted = conversation[order], submitted[order]
    score = np.concatenate([first_score[rated], second_score[rerated]])[order]
    n_responses = len(conversation)
    csat = Batch("csat_responses", {
        "response_id": next_ids.csat + np.arange(n_responses, dtype=np.int64),
        "conversation_id": conversation_ids[conversation],
        "workspace_id": workspace[conversation].astype(np.int64),
        "score": score, "submitted_at": submitted,
        "updated_at": _late_updated_at(rng, submitted, window_end[conversation], 0.05),
    })
    next_ids.csat += n_responses
    return [Batch("csat_responses", {}), csat,
            _reexports(rng, csat, window_end[conversation], 0.02)]


def _mention_records(rng, world: World, messages: Batch, token: np.ndarray,
                     conversation: np.ndarray, agent: np.ndarray, teammate: np.ndarray,
                     next_ids: NextIds) -> list[Batch]:
    """One mention per agent @mentioned in a note (sometimes a third agent too), pointing
    at the note."""
    author = messages.columns["author_agent_id"]
    message_workspace = messages.columns["workspace_id"]
    mentions = TOKEN_MENTIONS[token]
    notes = np.flatnonzero(mentions > 0)
    mentioned = np.where(mentions[notes] == _THE_AGENT, agent[conversation[notes]],
                         teammate[conversation[notes]])
    note_workspace = message_workspace[notes]
    third = world.first_agent[note_workspace] + (
        rng.random(len(notes)) * world.active_agent_count[note_workspace]).astype(np.int64)
    also_third = ((rng.random(len(notes)) < 0.15) & (third != mentioned)
                  & (third != author[notes]))
    rows = np.concatenate([notes, notes[also_third]])
    mentioned = np.concatenate([mentioned, third[also_third]])
    order = np.argsort(rows, kind="stable")
    rows, mentioned = rows[order], mentioned[order]
    own = mentioned == author[rows]  # a note moved to the teammate would mention its author
    rows, mentioned = rows[~own], mentioned[~own]
    n_mentions = len(rows)
    batch = Batch("mentions", {
        "mention_id": next_ids.mention + np.arange(n_mentions, dtype=np.int64),
        "message_id": messages.columns["message_id"][rows],
        "conversation_id": messages.columns["conversation_id"][rows],
        "workspace_id": message_workspace[rows], "mentioned_agent_id": mentioned,
        "created_at": messages.columns["created_at"][rows],
        "updated_at": messages.columns["updated_at"][rows],
    })
    next_ids.mention += n_mentions
    return [Batch("mentions", {}), batch, Batch("mentions", {})]


def generate_chunk(world: World, seed: int, chunk_index: int, n: int,
                   next_ids: NextIds) -> dict:
    """n conversations with their messages, CSAT responses and mentions. Returns, per entity,
    its records per slot (0 first versions, 1 current, 2 later re-exports), and
    ``n_conversations``."""
    rng = seeded_rng(seed, 2, chunk_index)
    workspace, start, kind, agent, teammate, rounds = _draw_conversations(rng, world, n)
    token, conversation = _message_tokens(rng, kind, rounds)  # per message
    author, created = _authors_and_times(rng, world, token, conversation, workspace, start,
                                         agent, teammate)

    # the export happens at the end of end_date (local): later messages are not there yet
    window_end = world.window_end[workspace[conversation]]
    kept = created <= window_end
    # (every conversation starts by then: its first message is always there)
    kept[segment_starts(np.bincount(conversation, minlength=n))] = True
    truncated = np.bincount(conversation[~kept], minlength=n) > 0
    token, conversation, author = token[kept], conversation[kept], author[kept]
    created, window_end = created[kept], window_end[kept]
    n_messages = len(token)
    message_count = np.bincount(conversation, minlength=n)
    first_message = segment_starts(message_count)
    last_message = first_message + message_count - 1

    message_ids = next_ids.message + np.arange(n_messages, dtype=np.int64)
    next_ids.message += n_messages
    conversation_ids = next_ids.conversation + np.arange(n, dtype=np.int64)
    next_ids.conversation += n
    messages = _message_records(rng, world, token, author, created, workspace[conversation],
                                window_end, message_ids, conversation_ids[conversation])

    # a conversation is assigned to the last human who wrote in it
    human_position = np.where(author >= 0, np.arange(n_messages), -1)
    last_human = np.maximum.reduceat(human_position, first_message)
    assignee = np.where(last_human >= 0, author[np.maximum(last_human, 0)], -1)
    conversations, closed, closed_at = _conversation_records(
        rng, world, kind, workspace, agent, conversation_ids, truncated,
        created[first_message], created[last_message], token[last_message], assignee)
    assignee = conversations[1].columns["assignee_agent_id"]
    csat = _csat_records(rng, world, kind, workspace, conversation_ids, closed, closed_at,
                         assignee, next_ids)
    mentions = _mention_records(rng, world, messages[1], token, conversation, agent, teammate,
                                next_ids)
    return {
        "conversations": conversations,
        "messages": messages,
        "csat_responses": csat,
        "mentions": mentions,
        "n_conversations": n,
    }


# --------------------------------------------------------------------------------------
# NPS
# --------------------------------------------------------------------------------------


def generate_nps(world: World, seed: int, conversations: int,
                 next_ids: NextIds) -> list[Batch]:
    """NPS responses per slot: at least two per workspace, more for busier ones."""
    rng = seeded_rng(seed, 3)
    expected = conversations * world.workspace_weight / world.workspace_weight.sum()
    counts = 2 + rng.poisson(0.06 * expected)
    workspace = np.repeat(np.arange(world.workspace_count), counts)
    n = len(workspace)
    submitted = local_business_times(rng, world, workspace, n, trend=0.0)
    order = np.lexsort((workspace, submitted))
    workspace, submitted = workspace[order], submitted[order]
    score = draw_from_cumulative(
        rng, np.cumsum([2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30]) / 100, n)
    window_end = world.window_end[workspace]
    nps = Batch("nps_responses", {
        "response_id": next_ids.nps + np.arange(n, dtype=np.int64),
        "workspace_id": workspace.astype(np.int64), "score": score.astype(np.int64),
        "submitted_at": submitted,
        "updated_at": _late_updated_at(rng, submitted, window_end, 0.05),
    })
    next_ids.nps += n
    return [Batch("nps_responses", {}), nps, _reexports(rng, nps, window_end, 0.02)]
