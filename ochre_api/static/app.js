/* Ochre leaderboard page: plain JS, inline SVG charts, no external resources. */
(function () {
  'use strict';

  var TOKEN_KEY = 'ochre.token';
  var PERIOD_KEY = 'ochre.period';
  var BASIS_KEY = 'ochre.frtBasis';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var QUADRANTS = {
    workhorse: { label: 'workhorse', color: '#2f855a' },
    underloaded: { label: 'underloaded', color: '#2b6cb0' },
    drowning: { label: 'drowning', color: '#c53030' },
    needs_context: { label: 'needs context', color: '#805ad5' }
  };
  // CSAT resting on fewer responses than this is marked "few" (docs/spec/metrics.md,
  // "CSAT interval"): below 30, the 95 % interval of a 4.0-4.5 average is a point wide or more.
  var FEW_CSAT_RESPONSES = 30;
  var ACCENT = '#b7791f';
  var PRIOR = '#a0aec0';
  // The two team medians of first response (docs/bi.md): one name and definition each,
  // the same words as `ochre-analytics leaderboard` (ochre_analytics/report.py).
  var TEAM_FRT = {
    perConversation: {
      name: 'Team median first response, per conversation',
      qualifier: 'per conversation',
      definition: "median over each conversation's first human reply",
      column: 'team_kpis.median_first_response_seconds'
    },
    allSamples: {
      name: "Team median first response, all agents' samples",
      qualifier: "all agents' samples",
      definition: "median over every agent's first-response samples",
      column: 'agent_leaderboard.team_median_first_response_seconds'
    }
  };

  // First response in calendar time (the default: what load_quadrant uses) or in the
  // workspace's business hours (spec/metrics.md, "Business hours"). The same API rows carry
  // both; in business hours the page places the agents in the quadrants against the team's
  // business-hours median, by the rule of load_quadrant.
  var BASIS = {
    calendar: {
      own: 'median_first_response_seconds',
      team: 'team_median_first_response_seconds',
      suffix: ''
    },
    business: {
      own: 'median_first_response_business_seconds',
      team: 'team_median_first_response_business_seconds',
      suffix: ' (business hours)'
    }
  };

  var state = {
    basis: 'calendar',
    token: null,
    me: null,
    period: null,
    periods: [],
    rows: [],
    board: null,
    team: null,
    sort: { key: 'agent_name', dir: 1 },
    seq: 0
  };

  // ---------- small helpers ----------

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svgEl(tag, attrs, parent) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    if (parent) parent.appendChild(node);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') node.textContent = v;
      else if (k === 'className') node.setAttribute('class', v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
  }

  function append(node, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === 'string' || typeof c === 'number'
        ? document.createTextNode(String(c)) : c);
    });
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  /** 45s, 10m 05s, 1h 05m, 2d 03h: as `ochre-analytics leaderboard` prints them (report.py) */
  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return '—';
    var s = Math.round(seconds);
    if (s < 60) return s + 's';
    var minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + 'm ' + pad2(s % 60) + 's';
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + 'h ' + pad2(minutes % 60) + 'm';
    return Math.floor(hours / 24) + 'd ' + pad2(hours % 24) + 'h';
  }

  /** Axis ticks (round values): 45s, 10m, 1h, 1h 30m, 2d */
  function fmtDurationTick(seconds) {
    var s = Math.round(seconds);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.round(s / 60) + 'm';
    if (s < 86400) {
      var m = Math.round(s / 60) % 60;
      return Math.floor(s / 3600) + 'h' + (m ? ' ' + pad2(m) + 'm' : '');
    }
    return Math.round(s / 86400) + 'd';
  }

  function fmtNum(v, digits) {
    if (v === null || v === undefined || isNaN(v)) return '—';
    return Number(v).toLocaleString('en-US', {
      minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0
    });
  }

  function fmtPct(v) { return v === null || v === undefined ? '—' : fmtNum(v, 0) + '%'; }

  function fmtCsat(avg, n) { return (avg === null || avg === undefined ? '—' : fmtNum(avg, 1)) + ' (' + fmtNum(n) + ')'; }

  /** "95 % 3.2–4.8", the interval of a CSAT average; '' when there is none. */
  function fmtCsatInterval(low, high) {
    if (low === null || low === undefined || high === null || high === undefined) return '';
    return '95 % ' + fmtNum(low, 1) + '–' + fmtNum(high, 1);
  }

  /** The interval and, under FEW_CSAT_RESPONSES responses, a "few" mark, as nodes. */
  function csatNote(low, high, n) {
    var text = fmtCsatInterval(low, high);
    if (!text) return [];
    var out = [el('span', { className: 'csat-ci', text: text })];
    if (n < FEW_CSAT_RESPONSES) {
      out.push(el('span', { className: 'badge few', text: 'few',
        title: 'Only ' + n + (n === 1 ? ' response' : ' responses') + ' (under ' +
          FEW_CSAT_RESPONSES + '): read the interval, not the average' }));
    }
    return out;
  }

  function fmtDate(iso) {
    if (!iso) return '';
    var p = iso.split('-');
    var months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    return months[Number(p[1]) - 1] + ' ' + Number(p[2]);
  }

  function fmtWindow(w) { return fmtDate(w.start) + ' – ' + fmtDate(w.end); }

  /** change vs prior: {text, cls} */
  function change(cur, prev) {
    if (cur === null || cur === undefined || prev === null || prev === undefined) {
      return { text: '—', cls: 'flat' };
    }
    var d = cur - prev;
    if (prev === 0) return d === 0 ? { text: '±0', cls: 'flat' } : { text: '+' + d + ' (new)', cls: 'up' };
    var pct = Math.round(100 * d / prev);
    if (d === 0) return { text: '±0', cls: 'flat' };
    var sign = d > 0 ? '+' : '−';
    return {
      text: sign + Math.abs(d) + ' (' + sign + Math.abs(pct) + '%)',
      cls: d > 0 ? 'up' : 'down'
    };
  }

  function roleBadge(role, status) {
    var out = [];
    if (role && role !== 'agent') out.push(el('span', { className: 'badge role-' + role, text: role }));
    if (status && status !== 'active') out.push(el('span', { className: 'badge status', text: status }));
    return out;
  }

  // ---------- first response: calendar or business hours ----------

  function basis() { return BASIS[state.basis]; }

  /** The row's median first response in the chosen basis (null: none). */
  function frt(r) {
    var v = r ? r[basis().own] : null;
    return v === undefined ? null : v;
  }

  function teamFrt(r) {
    var v = r ? r[basis().team] : null;
    return v === undefined ? null : v;
  }

  /** load_quadrant in calendar time; the same rule on the business-hours medians otherwise. */
  function quadrantOf(r) {
    if (state.basis === 'calendar') return r.load_quadrant;
    var v = frt(r), t = teamFrt(r), n = r.team_median_conversations_handled;
    if (v === null || t === null || n === null || n === undefined) return null;
    var busy = r.conversations_handled >= n, fast = v <= t;
    return busy ? (fast ? 'workhorse' : 'drowning') : (fast ? 'underloaded' : 'needs_context');
  }

  function teamFigure(figure) {
    return Object.assign({}, figure, {
      name: figure.name + basis().suffix,
      column: figure.column.replace('first_response_seconds', basis().own.replace('median_', ''))
    });
  }

  function setBasis(b) {
    if (!BASIS[b]) return Promise.resolve();
    state.basis = b;
    sessionStorage.setItem(BASIS_KEY, b);
    updateBasisButtons();
    return route();
  }

  function updateBasisButtons() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-basis]'), function (b) {
      var on = b.getAttribute('data-basis') === state.basis;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.className = on ? 'active' : '';
    });
    var th = document.querySelector('#leaderboard th[data-sort="median_first_response_seconds"]');
    if (th) th.textContent = 'Median first response' + basis().suffix;
    document.body.setAttribute('data-frt-basis', state.basis);
  }

  // ---------- API ----------

  function ApiError(status, message) { this.status = status; this.message = message; }

  function api(path) {
    return fetch(path, {
      headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' },
      cache: 'no-store'
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) throw new ApiError(res.status, (body && body.detail) || res.statusText);
        return body;
      });
    });
  }

  function showMessage(text) {
    var m = $('message');
    m.textContent = text || '';
    m.hidden = !text;
  }

  function handleError(err) {
    if (err instanceof ApiError && (err.status === 401 || (err.status === 403 && !state.me))) {
      signOut();
      showMessage('Could not sign in: ' + err.message + '. Paste a valid token.');
      return;
    }
    if (err instanceof ApiError && err.status === 503) {
      showMessage('No data yet: ' + err.message);
      return;
    }
    if (err instanceof ApiError) {
      showMessage(err.message);
      return;
    }
    showMessage('Something went wrong: ' + (err && err.message ? err.message : err));
  }

  // ---------- sign in / out ----------

  function signIn(token) {
    state.token = token.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    showMessage('');
    return start();
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.me = null;
    $('app').hidden = true;
    $('viewer').hidden = true;
    $('login').hidden = false;
    $('token-input').value = '';
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }

  function start() {
    return api('/api/me').then(function (me) {
      state.me = me;
      setPeriods(me.periods, me.default_period);
      $('login').hidden = true;
      $('app').hidden = false;
      $('viewer').hidden = false;
      $('viewer-name').textContent = me.agent_name || me.agent_id;
      $('viewer-role').textContent = me.agent_role;
      $('viewer-role').className = 'badge role-' + me.agent_role;
      $('title').textContent = me.workspace_name || me.workspace_id;
      $('table-title').textContent = me.sees_whole_workspace ? 'Agents' : 'Your figures';
      $('download-csv').title = me.sees_whole_workspace
        ? "Every conversation of the workspace with activity in the last 90 days, as CSV"
        : 'The conversations you replied on in the last 90 days, as CSV';
      return route();
    }).catch(handleError);
  }

  // ---------- routing ----------

  function currentAgent() {
    var m = /^#agent=(.+)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function route() {
    if (!state.me) return Promise.resolve();
    var agentId = currentAgent();
    $('board-view').hidden = !!agentId;
    $('detail-view').hidden = !agentId;
    updatePeriodButtons();
    return agentId ? loadDetail(agentId) : loadBoard();
  }

  function setPeriod(p) {
    state.period = p;
    sessionStorage.setItem(PERIOD_KEY, String(p));
    return route();
  }

  // The windows come from the API (/api/me: seeds/leaderboard_windows.csv), one button each.
  function setPeriods(periods, fallback) {
    state.periods = periods;
    var saved = Number(sessionStorage.getItem(PERIOD_KEY));
    if (periods.indexOf(state.period) < 0) {
      state.period = periods.indexOf(saved) >= 0 ? saved : fallback;
    }
    var group = $('periods');
    Array.prototype.forEach.call(group.querySelectorAll('[data-period]'), function (b) {
      group.removeChild(b);
    });
    periods.forEach(function (p) {
      var b = el('button', { type: 'button', text: p + ' days' });
      b.setAttribute('data-period', String(p));
      b.addEventListener('click', function () { setPeriod(p); });
      group.appendChild(b);
    });
  }

  function updatePeriodButtons() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-period]'), function (b) {
      var on = Number(b.getAttribute('data-period')) === state.period;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.className = on ? 'active' : '';
    });
  }

  function setSubtitle(asOf, window) {
    $('subtitle').textContent = 'As of ' + asOf + ' · last ' + state.period + ' days (' +
      fmtWindow(window) + ')';
  }

  // ---------- leaderboard ----------

  // The body says what finished loading (the tests wait for it); a load that a newer one
  // superseded marks nothing.
  function markLoaded(seq, view) {
    if (seq !== state.seq) return;
    document.body.setAttribute('data-loading', 'false');
    document.body.setAttribute('data-period-loaded', String(state.period));
    document.body.setAttribute('data-view-loaded', view);
  }

  function loadBoard() {
    var seq = ++state.seq;
    var q = '?period=' + state.period;
    document.body.setAttribute('data-loading', 'true');
    return Promise.all([api('/api/leaderboard' + q), api('/api/team' + q)]).then(function (res) {
      if (seq !== state.seq) return;
      state.board = res[0];
      state.rows = res[0].rows;
      state.team = res[1];
      setSubtitle(res[0].as_of_date, res[0].window);
      showMessage('');
      renderTeamTiles(res[1]);
      renderTable();
      renderScatter(state.rows);
    }).catch(handleError).then(function () { markLoaded(seq, 'board'); });
  }

  function tile(label, value, sub, attrs) {
    return el('div', Object.assign({ className: 'tile' }, attrs || {}), [
      el('div', { className: 'tile-label', text: label }),
      el('div', { className: 'tile-value', text: value }),
      sub ? (typeof sub === 'string' ? el('div', { className: 'tile-sub', text: sub }) : sub) : null
    ]);
  }

  /** "Name: value — definition.", for a team median outside a tile. */
  function namedFigure(figure, seconds) {
    return el('p', { className: 'named-figure small', 'data-figure': figure.column }, [
      el('span', { className: 'figure-name', text: figure.name + ': ' }),
      el('span', { className: 'figure-value', text: fmtDuration(seconds) }),
      el('span', { className: 'muted figure-definition', text: ' — ' + figure.definition + '.' })
    ]);
  }

  function changeSub(cur, prev, what) {
    var c = change(cur, prev);
    return el('div', { className: 'tile-sub' }, [
      el('span', { className: 'delta ' + c.cls, text: c.text }),
      ' vs prior ' + what
    ]);
  }

  function renderTeamTiles(t) {
    var box = $('team-tiles');
    clear(box);
    append(box, [
      tile('Conversations replied', fmtNum(t.conversations_replied),
        changeSub(t.conversations_replied, t.prev_conversations_replied, 'period')),
      tile('Handled by AI alone', fmtPct(t.ai_handled_pct),
        fmtNum(t.ai_handled_conversations) + ' conversations'),
      tile('Team median first response' + basis().suffix, fmtDuration(frt(t)),
        el('div', { className: 'tile-sub' }, [
          el('span', { className: 'figure-name', text: TEAM_FRT.perConversation.qualifier }),
          ': ' + TEAM_FRT.perConversation.definition
        ]),
        { 'data-figure': teamFigure(TEAM_FRT.perConversation).column,
          title: teamFigure(TEAM_FRT.perConversation).name + ' (' +
            teamFigure(TEAM_FRT.perConversation).column + '): ' + TEAM_FRT.perConversation.definition }),
      tile('CSAT', t.csat_avg === null ? '—' : fmtNum(t.csat_avg, 1),
        el('div', { className: 'tile-sub' }, [fmtNum(t.csat_responses) + ' responses '].concat(
          csatNote(t.csat_ci_low, t.csat_ci_high, t.csat_responses))),
        { 'data-figure': 'team_kpis.csat_avg' }),
      tile('NPS', t.nps === null ? '—' : fmtNum(t.nps, 0), fmtNum(t.nps_responses) + ' responses')
    ]);
  }

  function sortValue(row, key) {
    if (key === 'change') return row.conversations_handled - row.prev_conversations_handled;
    if (key === 'agent_name') return (row.agent_name || row.agent_id).toLowerCase();
    if (key === 'median_first_response_seconds') return frt(row);
    return row[key];
  }

  function sortedRows() {
    var key = state.sort.key;
    var dir = state.sort.dir;
    return state.rows.slice().sort(function (a, b) {
      var va = sortValue(a, key);
      var vb = sortValue(b, key);
      var na = va === null || va === undefined;
      var nb = vb === null || vb === undefined;
      if (na && nb) return byName(a, b);
      if (na) return 1; // nulls last, either direction
      if (nb) return -1;
      if (key === 'csat_avg' && va === vb) { va = a.csat_responses; vb = b.csat_responses; }
      if (va < vb) return -dir;
      if (va > vb) return dir;
      return byName(a, b);
    });
  }

  function byName(a, b) {
    var x = (a.agent_name || a.agent_id).toLowerCase();
    var y = (b.agent_name || b.agent_id).toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }

  function renderTable() {
    var tbody = document.querySelector('#leaderboard tbody');
    clear(tbody);
    Array.prototype.forEach.call(document.querySelectorAll('#leaderboard th'), function (th) {
      var on = th.getAttribute('data-sort') === state.sort.key;
      th.setAttribute('aria-sort', on ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    });
    var rows = sortedRows();
    $('empty-board').hidden = rows.length > 0;
    rows.forEach(function (r) {
      var c = change(r.conversations_handled, r.prev_conversations_handled);
      var total = r.ai_draft_sent_replies + r.ai_draft_edited_replies + r.scratch_replies;
      var tr = el('tr', { 'data-agent-id': r.agent_id, tabindex: 0, title: 'Open ' + (r.agent_name || r.agent_id) }, [
        el('td', { className: 'left' }, el('div', { className: 'agent' }, [
          el('span', { className: 'dot', 'data-q': quadrantOf(r) || 'none',
            title: quadrantOf(r) ? QUADRANTS[quadrantOf(r)].label : 'no first-response sample' }),
          el('span', { className: 'name', text: r.agent_name || r.agent_id })
        ].concat(roleBadge(r.agent_role, r.agent_status)))),
        el('td', { text: fmtNum(r.conversations_handled) }),
        el('td', { className: 'frt', text: fmtDuration(frt(r)) }),
        el('td', { className: 'csat' }, [
          el('span', { className: 'csat-value', text: fmtCsat(r.csat_avg, r.csat_responses) }),
          el('span', { className: 'th-sub' }, csatNote(r.csat_ci_low, r.csat_ci_high, r.csat_responses))
        ]),
        el('td', { className: 'ai' }, [
          el('span', { className: 'ai-nums', text: r.ai_draft_sent_replies + ' / ' + r.ai_draft_edited_replies + ' / ' + r.scratch_replies }),
          aiBar(r, total)
        ]),
        el('td', { text: fmtNum(r.mentions_received) }),
        el('td', { className: 'delta ' + c.cls, text: c.text })
      ]);
      tr.addEventListener('click', function () { openAgent(r.agent_id); });
      tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') openAgent(r.agent_id); });
      tbody.appendChild(tr);
    });
  }

  function aiBar(r, total) {
    var bar = svgEl('svg', { width: 90, height: 6, viewBox: '0 0 90 6', className: 'ai-bar', 'aria-hidden': 'true' });
    if (!total) {
      svgEl('rect', { x: 0, y: 0, width: 90, height: 6, rx: 3, fill: '#edf2f7' }, bar);
      return bar;
    }
    var parts = [[r.ai_draft_sent_replies, ACCENT], [r.ai_draft_edited_replies, '#ecc94b'], [r.scratch_replies, '#cbd5e0']];
    var x = 0;
    parts.forEach(function (p) {
      var w = 90 * p[0] / total;
      if (w > 0) svgEl('rect', { x: x.toFixed(2), y: 0, width: w.toFixed(2), height: 6, fill: p[1] }, bar);
      x += w;
    });
    return bar;
  }

  function openAgent(agentId) {
    location.hash = 'agent=' + encodeURIComponent(agentId);
  }

  // ---------- scales ----------

  function niceStep(max, ticks, steps) {
    var raw = max / ticks;
    if (steps) {
      for (var i = 0; i < steps.length; i++) if (steps[i] >= raw) return steps[i];
      return steps[steps.length - 1] * Math.ceil(raw / steps[steps.length - 1]);
    }
    var mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    var f = raw / mag;
    var nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return nice * mag;
  }

  var DURATION_STEPS = [15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function scale(maxValue, ticks, duration, minMax) {
    var max = Math.max(maxValue || 0, minMax || 0);
    if (max <= 0) max = duration ? 600 : 1;
    var step = niceStep(max, ticks, duration ? DURATION_STEPS : null);
    if (!duration && minMax && step < 1) step = 1;
    var top = step * Math.ceil(max / step);
    var values = [];
    for (var v = 0; v <= top + step / 2; v += step) values.push(v);
    return { max: top, ticks: values };
  }

  // ---------- scatter ----------

  function renderScatter(rows) {
    var box = $('scatter');
    clear(box);
    var W = 960, H = 380, m = { l: 64, r: 84, t: 24, b: 46 };
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    var pts = rows.filter(function (r) { return frt(r) !== null; });
    var none = rows.filter(function (r) { return frt(r) === null; });
    var teamX = rows.length ? rows[0].team_median_conversations_handled : null;
    var teamY = rows.length ? teamFrt(rows[0]) : null;
    var xs = scale(Math.max.apply(null, pts.map(function (r) { return r.conversations_handled; }).concat([teamX || 0])) * 1.1, 5, false, 4);
    var ys = scale(Math.max.apply(null, pts.map(function (r) { return frt(r); }).concat([teamY || 0])) * 1.1, 5, true);
    function X(v) { return m.l + pw * v / xs.max; }
    function Y(v) { return m.t + ph - ph * v / ys.max; }

    var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, className: 'chart scatter', role: 'img',
      'aria-label': 'Conversations handled against median first response per agent' });
    // quadrant shading, split at the team medians
    if (teamX !== null && teamY !== null) {
      var qx = X(teamX), qy = Y(teamY);
      var quads = [
        ['needs_context', m.l, m.t, qx - m.l, qy - m.t, 'start', m.l + 8, m.t + 16],
        ['drowning', qx, m.t, m.l + pw - qx, qy - m.t, 'end', m.l + pw - 8, m.t + 16],
        ['underloaded', m.l, qy, qx - m.l, m.t + ph - qy, 'start', m.l + 8, m.t + ph - 8],
        ['workhorse', qx, qy, m.l + pw - qx, m.t + ph - qy, 'end', m.l + pw - 8, m.t + ph - 8]
      ];
      quads.forEach(function (q) {
        var c = QUADRANTS[q[0]].color;
        svgEl('rect', { x: q[1], y: q[2], width: Math.max(q[3], 0), height: Math.max(q[4], 0), fill: c, 'fill-opacity': 0.05 }, svg);
        svgEl('text', { x: q[6], y: q[7], 'text-anchor': q[5], fill: c, className: 'quad-label', 'data-quadrant': q[0], text: QUADRANTS[q[0]].label }, svg);
      });
    }
    axes(svg, xs, ys, X, Y, m, pw, ph, function (v) { return fmtNum(v); }, fmtDurationTick);
    svgEl('text', { x: m.l + pw / 2, y: H - 8, 'text-anchor': 'middle', className: 'axis-title', text: 'Conversations handled' }, svg);
    svgEl('text', { x: 14, y: m.t + ph / 2, 'text-anchor': 'middle', className: 'axis-title',
      transform: 'rotate(-90 14 ' + (m.t + ph / 2) + ')', text: 'Median first response' + basis().suffix }, svg);
    // team medians: dashed lines, labelled outside the plot so no point hides them
    if (teamX !== null) {
      svgEl('line', { x1: X(teamX), x2: X(teamX), y1: m.t, y2: m.t + ph, className: 'median-line' }, svg);
      svgEl('text', { x: X(teamX), y: m.t - 7, 'text-anchor': 'middle', className: 'median-label',
        text: 'team median ' + fmtNum(teamX, teamX % 1 ? 1 : 0) }, svg);
    }
    if (teamY !== null) {
      svgEl('line', { x1: m.l, x2: m.l + pw, y1: Y(teamY), y2: Y(teamY), className: 'median-line' }, svg);
      svgEl('text', { x: m.l + pw + 6, y: Y(teamY) - 3, className: 'median-label', text: 'team median' }, svg);
      svgEl('text', { x: m.l + pw + 6, y: Y(teamY) + 11, className: 'median-label', text: fmtDuration(teamY) }, svg);
    }
    var placed = pts.map(function (r) {
      var cx = X(r.conversations_handled), cy = Y(frt(r));
      return { x1: cx - 8, x2: cx + 8, y1: cy - 8, y2: cy + 8 };
    });
    // draw the lowest points last so labels near the axis win ties predictably
    pts.slice().sort(function (a, b) {
      return frt(a) - frt(b) || byName(a, b);
    }).forEach(function (r) {
      var q = QUADRANTS[quadrantOf(r)] || { color: ACCENT, label: '' };
      var g = svgEl('g', { className: 'point', 'data-agent-id': r.agent_id, tabindex: 0 }, svg);
      var cx = X(r.conversations_handled), cy = Y(frt(r));
      svgEl('circle', { cx: cx, cy: cy, r: 7, fill: q.color, stroke: '#fff', 'stroke-width': 2 }, g);
      var name = r.agent_name || r.agent_id;
      var spot = labelSpot(cx, cy, name.length * 7 + 4, placed, m, pw, ph);
      if (spot) {
        svgEl('text', { x: spot.x, y: spot.y, 'text-anchor': spot.anchor, className: 'point-label', text: name }, g);
      }
      svgEl('title', { text: name + ': ' + r.conversations_handled + ' conversations, ' +
        fmtDuration(frt(r)) + ' median first response' + basis().suffix + (q.label ? ' (' + q.label + ')' : '') }, g);
      g.addEventListener('click', function () { openAgent(r.agent_id); });
    });
    box.appendChild(svg);
    var legend = $('scatter-medians');
    clear(legend);
    if (teamY !== null) legend.appendChild(namedFigure(teamFigure(TEAM_FRT.allSamples), teamY));
    if (teamX !== null) {
      legend.appendChild(el('p', { className: 'named-figure small', 'data-figure':
        'agent_leaderboard.team_median_conversations_handled' }, [
        el('span', { className: 'figure-name', text: 'Team median conversations handled: ' }),
        el('span', { className: 'figure-value', text: fmtNum(teamX, teamX % 1 ? 1 : 0) }),
        el('span', { className: 'muted figure-definition', text: " — median over the agents' rows of this period." })
      ]));
    }
    var note = $('scatter-note');
    note.hidden = none.length === 0;
    note.textContent = none.length ? 'Not plotted (no first-response ' +
      (state.basis === 'business' ? 'figure in business hours' : 'sample') + ' in this period): ' +
      none.map(function (r) { return r.agent_name || r.agent_id; }).join(', ') + '.' : '';
  }

  /** First label position (right, left, above, below, then shifted) that overlaps nothing placed. */
  function labelSpot(cx, cy, w, placed, m, pw, ph) {
    var h = 14;
    var tries = [];
    [0, -14, 14, -28, 28].forEach(function (dy) {
      tries.push({ x: cx + 11, y: cy + 4 + dy, anchor: 'start', box: [cx + 10, cx + 10 + w, cy - 7 + dy, cy - 7 + dy + h] });
      tries.push({ x: cx - 11, y: cy + 4 + dy, anchor: 'end', box: [cx - 10 - w, cx - 10, cy - 7 + dy, cy - 7 + dy + h] });
      if (dy === 0) {
        tries.push({ x: cx, y: cy - 12, anchor: 'middle', box: [cx - w / 2, cx + w / 2, cy - 23, cy - 23 + h] });
        tries.push({ x: cx, y: cy + 22, anchor: 'middle', box: [cx - w / 2, cx + w / 2, cy + 11, cy + 11 + h] });
      }
    });
    for (var i = 0; i < tries.length; i++) {
      var b = tries[i].box;
      if (b[0] < m.l || b[1] > m.l + pw || b[2] < m.t || b[3] > m.t + ph) continue;
      var clash = placed.some(function (p) { return b[0] < p.x2 && b[1] > p.x1 && b[2] < p.y2 && b[3] > p.y1; });
      if (clash) continue;
      placed.push({ x1: b[0], x2: b[1], y1: b[2], y2: b[3] });
      return tries[i];
    }
    return null;
  }

  function axes(svg, xs, ys, X, Y, m, pw, ph, fmtX, fmtY, xLabels) {
    ys.ticks.forEach(function (v) {
      svgEl('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v), className: 'grid' }, svg);
      svgEl('text', { x: m.l - 8, y: Y(v) + 4, 'text-anchor': 'end', className: 'tick', text: fmtY(v) }, svg);
    });
    if (xLabels) {
      xLabels.forEach(function (l) {
        svgEl('text', { x: l.x, y: m.t + ph + 18, 'text-anchor': l.anchor || 'middle', className: 'tick', text: l.text }, svg);
      });
    } else {
      xs.ticks.forEach(function (v) {
        svgEl('line', { x1: X(v), x2: X(v), y1: m.t, y2: m.t + ph, className: 'grid faint' }, svg);
        svgEl('text', { x: X(v), y: m.t + ph + 18, 'text-anchor': 'middle', className: 'tick', text: fmtX(v) }, svg);
      });
    }
    svgEl('line', { x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph, className: 'axis' }, svg);
  }

  // ---------- CSV download ----------

  /** Fetch the conversation export with the token and save it (a link cannot send it). */
  function downloadConversations(agentId) {
    var path = '/api/conversations.csv' + (agentId ? '?agent_id=' + encodeURIComponent(agentId) : '');
    return fetch(path, { headers: { Authorization: 'Bearer ' + state.token }, cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) {
          return res.json().catch(function () { return {}; }).then(function (body) {
            throw new ApiError(res.status, (body && body.detail) || res.statusText);
          });
        }
        var disposition = res.headers.get('Content-Disposition') || '';
        var m = /filename="([^"]+)"/.exec(disposition);
        return res.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = el('a', { href: url, download: m ? m[1] : 'conversations.csv' });
          document.body.appendChild(a);
          a.click();
          document.body.removeChild(a);
          setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
        });
      }).catch(handleError);
  }

  // ---------- drill-down ----------

  function loadDetail(agentId) {
    var seq = ++state.seq;
    document.body.setAttribute('data-loading', 'true');
    return api('/api/agents/' + encodeURIComponent(agentId) + '?period=' + state.period).then(function (d) {
      if (seq !== state.seq) return;
      showMessage('');
      setSubtitle(d.as_of_date, d.window);
      renderDetail(d);
    }).catch(function (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 404) && state.me) {
        var text = err.status === 403 ? 'You can only open your own figures.'
          : 'No such agent in your workspace.';
        history.replaceState(null, '', location.pathname + location.search);
        $('board-view').hidden = false;
        $('detail-view').hidden = true;
        return loadBoard().then(function () { showMessage(text); });
      }
      handleError(err);
    }).then(function () { markLoaded(seq, 'agent:' + agentId); });
  }

  function renderDetail(d) {
    var a = d.agent, r = d.leaderboard_row;
    $('detail-title').textContent = a.agent_name || a.agent_id;
    var badges = $('detail-badges');
    clear(badges);
    append(badges, roleBadge(a.agent_role, a.agent_status));
    if (r && quadrantOf(r)) {
      var q = QUADRANTS[quadrantOf(r)];
      badges.appendChild(el('span', { className: 'badge quad', 'data-q': quadrantOf(r), text: q ? q.label : quadrantOf(r) }));
    }

    var tiles = $('detail-tiles');
    clear(tiles);
    if (r) {
      append(tiles, [
        tile('Conversations handled', fmtNum(r.conversations_handled),
          changeSub(r.conversations_handled, r.prev_conversations_handled, 'period')),
        tile('Replies sent', fmtNum(r.replies_sent), fmtNum(r.first_response_samples) +
          (r.first_response_samples === 1 ? ' first-response sample' : ' first-response samples')),
        tile('Median first response' + basis().suffix, fmtDuration(frt(r)),
          el('div', { className: 'tile-sub' }, [
            el('span', { className: 'figure-name', text: 'Team, ' + TEAM_FRT.allSamples.qualifier + ': ' }),
            el('span', { className: 'figure-value', text: fmtDuration(teamFrt(r)) }),
            ' — ' + TEAM_FRT.allSamples.definition
          ]),
          { 'data-figure': teamFigure(TEAM_FRT.allSamples).column,
            title: teamFigure(TEAM_FRT.allSamples).name + ' (' +
              teamFigure(TEAM_FRT.allSamples).column + '): ' + TEAM_FRT.allSamples.definition }),
        tile('CSAT', fmtCsat(r.csat_avg, r.csat_responses),
          el('div', { className: 'tile-sub' }, csatNote(r.csat_ci_low, r.csat_ci_high, r.csat_responses)
            .concat([' · team ' + (r.team_csat_avg === null ? '—' : fmtNum(r.team_csat_avg, 1)) + ' ',
              el('span', { className: 'csat-ci team', text: r.team_csat_avg === null ? ''
                : '(' + fmtCsatInterval(r.team_csat_ci_low, r.team_csat_ci_high) + ')' })])),
          { 'data-figure': 'agent_leaderboard.csat_avg' }),
        tile('AI-assisted replies', fmtPct(r.ai_assisted_reply_pct),
          r.ai_draft_sent_replies + ' as-is / ' + r.ai_draft_edited_replies + ' edited / ' +
          r.scratch_replies + ' scratch · team ' + fmtPct(r.team_ai_assisted_reply_pct)),
        tile('Mentions', fmtNum(r.mentions_received), 'by teammates')
      ]);
    } else {
      tiles.appendChild(el('p', { className: 'muted', text: 'No leaderboard row for this period (no activity).' }));
    }

    var charts = $('detail-charts');
    clear(charts);
    var cur = d.daily, prev = d.prior_daily;
    var labels = { cur: fmtWindow(d.window), prev: fmtWindow(d.prior_window) };
    charts.appendChild(dailyChart(cur, prev, {
      title: 'Volume', sub: 'conversations handled per day', key: 'conversations_handled',
      fmtY: fmtNum, integer: true, bars: true, labels: labels,
      headline: r ? fmtNum(r.conversations_handled) + ' · prior ' + fmtNum(r.prev_conversations_handled) : ''
    }));
    charts.appendChild(dailyChart(cur, prev, {
      title: 'First response' + basis().suffix, sub: 'median per day', key: basis().own,
      fmtY: fmtDuration, fmtTick: fmtDurationTick, duration: true, labels: labels, gaps: true,
      headline: r ? fmtDuration(frt(r)) : ''
    }));
    charts.appendChild(dailyChart(cur, prev, {
      title: 'CSAT', sub: 'average score per day', key: 'csat_avg', gaps: true,
      fmtY: function (v) { return fmtNum(v, 1); }, fmtTick: function (v) { return fmtNum(v, 0); },
      ticks: [0, 1, 2, 3, 4, 5], labels: labels,
      headline: r ? fmtCsat(r.csat_avg, r.csat_responses) : ''
    }));
    charts.appendChild(dailyChart(cur, prev, {
      title: 'AI assist', sub: 'share of replies from an AI draft', key: 'ai_assisted_reply_pct',
      gaps: true, fmtY: function (v) { return fmtNum(v, 0) + '%'; },
      ticks: [0, 25, 50, 75, 100], labels: labels,
      headline: r ? fmtPct(r.ai_assisted_reply_pct) : ''
    }));

    var tbody = document.querySelector('#low-csat tbody');
    clear(tbody);
    d.low_csat_conversations.forEach(function (c) {
      tbody.appendChild(el('tr', { 'data-conversation-id': c.conversation_id }, [
        el('td', { className: 'left', text: c.submitted_at.replace('T', ' ').replace('Z', '') }),
        el('td', { className: 'left', text: c.submitted_date }),
        el('td', { className: 'left mono' }, conversationLink(c)),
        el('td', {}, el('span', { className: 'score s' + Math.round(c.score), text: fmtNum(c.score, 0) }))
      ]));
    });
    $('low-csat').hidden = d.low_csat_conversations.length === 0;
    $('low-csat-empty').hidden = d.low_csat_conversations.length > 0;
  }

  /**
   * The conversation id, linked when the API sent a link (OCHRE_CONVERSATION_URL_TEMPLATE;
   * the API only sends absolute web URLs with the id percent-encoded, ochre_api/settings.py).
   * setAttribute/textContent: nothing is parsed as HTML.
   */
  function conversationLink(c) {
    var url = c.conversation_url;
    if (typeof url !== 'string' || !url) return c.conversation_id;
    return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer',
      title: 'Open conversation ' + c.conversation_id, text: c.conversation_id });
  }

  /**
   * One daily chart, this period against the prior one (aligned by day index).
   * opts: {title, sub, key, fmtY, fmtTick, duration, integer, ticks, bars, gaps, headline,
   * labels}; gaps: the value is null on a day without activity (a median or average), so
   * the line breaks there; without it the value is a count, 0 on such a day.
   */
  function dailyChart(cur, prev, opts) {
    var W = 520, H = 200, m = { l: 52, r: 14, t: 12, b: 28 };
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    var n = cur.length;
    var key = opts.key;
    var values = cur.concat(prev).map(function (p) { return p[key]; })
      .filter(function (v) { return v !== null && v !== undefined; });
    var ys = opts.ticks ? { max: opts.ticks[opts.ticks.length - 1], ticks: opts.ticks }
      : scale(Math.max.apply(null, values.concat([0])), 4, opts.duration, opts.integer ? 4 : 0);
    var slot = pw / n;
    function X(i) { return m.l + slot * (i + 0.5); }
    function Y(v) { return m.t + ph - ph * v / ys.max; }
    var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, className: 'chart line', role: 'img',
      'aria-label': opts.title + ', this period against the prior period' });
    var mid = Math.floor((n - 1) / 2);
    axes(svg, null, ys, X, Y, m, pw, ph, null, opts.fmtTick || opts.fmtY, [
      { x: m.l, text: fmtDate(cur[0].activity_date), anchor: 'start' },
      { x: X(mid), text: fmtDate(cur[mid].activity_date) },
      { x: m.l + pw, text: fmtDate(cur[n - 1].activity_date), anchor: 'end' }
    ]);
    if (opts.bars) {
      var bw = Math.max(1, Math.min(slot * 0.7, 22));
      cur.forEach(function (p, i) {
        var v = p[key] || 0;
        if (!v) return;
        var r = svgEl('rect', { x: (X(i) - bw / 2).toFixed(1), y: Y(v).toFixed(1), width: bw.toFixed(1),
          height: (Y(0) - Y(v)).toFixed(1), rx: Math.min(2, bw / 3), fill: ACCENT, 'fill-opacity': 0.85 }, svg);
        svgEl('title', { text: p.activity_date + ': ' + opts.fmtY(v) }, r);
      });
      series(svg, prev, key, X, Y, PRIOR, true, n, opts.fmtY);
    } else {
      series(svg, prev, key, X, Y, PRIOR, true, n, opts.fmtY);
      series(svg, cur, key, X, Y, ACCENT, false, n, opts.fmtY);
    }
    var card = el('div', { className: 'card chart-card', 'data-chart': key }, [
      el('div', { className: 'card-head' }, [
        el('h3', {}, [opts.title, el('span', { className: 'muted small', text: ' · ' + opts.sub })]),
        el('span', { className: 'headline', text: opts.headline })
      ]),
      el('div', { className: 'legend' }, [
        el('span', { className: 'key cur' + (opts.bars ? ' bar' : '') }), 'this period (' + opts.labels.cur + ')',
        el('span', { className: 'key prev' }), 'prior period (' + opts.labels.prev + ')'
      ]),
      opts.gaps ? el('p', { className: 'muted small gap-note',
        text: 'A day without activity has no value here: the line breaks (gap), it does not drop to 0.' })
        : el('p', { className: 'muted small gap-note',
          text: 'A day without activity counts 0.' })
    ]);
    card.appendChild(svg);
    return card;
  }

  /**
   * A line through the days that have a value, dots on the days. A day without a value
   * (a median or average of nothing: a day without activity, spec/metrics.md) breaks the
   * line: each run of consecutive days with a value is its own segment (a new "M").
   */
  function series(svg, points, key, X, Y, color, dashed, n, fmtY) {
    var d = '';
    var drawing = false;
    points.forEach(function (p, i) {
      var v = p[key];
      if (v === null || v === undefined) { drawing = false; return; }
      d += (drawing ? 'L' : 'M') + X(i).toFixed(1) + ' ' + Y(v).toFixed(1) + ' ';
      drawing = true;
    });
    if (d) {
      svgEl('path', { d: d.trim(), fill: 'none', stroke: color, 'stroke-width': dashed ? 1.4 : 2,
        'stroke-opacity': dashed ? 0.9 : 0.75, 'stroke-dasharray': dashed ? '4 4' : null,
        'stroke-linejoin': 'round', 'stroke-linecap': 'round',
        'data-series': dashed ? 'prior' : 'this' }, svg);
    }
    points.forEach(function (p, i) {
      var v = p[key];
      if (v === null || v === undefined) return;
      var isolated = (i === 0 || points[i - 1][key] === null || points[i - 1][key] === undefined) &&
        (i === points.length - 1 || points[i + 1][key] === null || points[i + 1][key] === undefined);
      if (dashed && n > 14 && !isolated) return;
      var r = n > 31 ? 2.2 : dashed ? 3 : 4;
      var c = svgEl('circle', { cx: X(i).toFixed(1), cy: Y(v).toFixed(1), r: r,
        fill: dashed ? '#fff' : color, stroke: dashed ? color : '#fff',
        'stroke-width': dashed ? 1.4 : n > 31 ? 0.5 : 1 }, svg);
      svgEl('title', { text: p.activity_date + ': ' + fmtY(v) }, c);
    });
  }

  // ---------- wiring ----------

  function init() {
    var params = new URLSearchParams(location.search);
    var fromUrl = params.get('token');
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl.trim());
      params.delete('token');
      var qs = params.toString();
      history.replaceState(null, '', location.pathname + (qs ? '?' + qs : '') + location.hash);
    }

    $('login-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var t = $('token-input').value;
      if (t.trim()) signIn(t);
    });
    $('logout').addEventListener('click', function () { signOut(); showMessage(''); });

    Array.prototype.forEach.call(document.querySelectorAll('#leaderboard th[data-sort]'), function (th) {
      th.addEventListener('click', function () {
        var key = th.getAttribute('data-sort');
        if (state.sort.key === key) state.sort.dir = -state.sort.dir;
        else state.sort = { key: key, dir: key === 'agent_name' ? 1 : -1 };
        renderTable();
      });
    });
    $('download-csv').addEventListener('click', function () { downloadConversations(null); });
    $('detail-download-csv').addEventListener('click', function () {
      var agentId = currentAgent();
      if (agentId) downloadConversations(agentId);
    });
    var savedBasis = sessionStorage.getItem(BASIS_KEY);
    if (BASIS[savedBasis]) state.basis = savedBasis;
    Array.prototype.forEach.call(document.querySelectorAll('[data-basis]'), function (b) {
      b.addEventListener('click', function () { setBasis(b.getAttribute('data-basis')); });
    });
    updateBasisButtons();
    $('back').addEventListener('click', function (e) {
      e.preventDefault();
      history.pushState(null, '', location.pathname + location.search);
      route();
    });
    window.addEventListener('hashchange', route);

    state.token = sessionStorage.getItem(TOKEN_KEY);
    if (state.token) start();
    else $('login').hidden = false;
  }

  init();
}());
