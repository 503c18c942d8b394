// The dashboard's one script (no build step, no libraries). Everything a model, a repository or
// a user wrote is hostile: it only ever reaches the page as text (textContent, text nodes,
// attribute values set through the DOM), never as markup.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, String(value));
  return node;
}

const str = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const usd = (v) => `$${num(v) < 0.01 && num(v) > 0 ? num(v).toFixed(4) : num(v).toFixed(2)}`;
const when = (ms) => (ms > 0 ? new Date(ms).toLocaleString() : '');

async function api(path, init) {
  const res = await fetch(path, { credentials: 'same-origin', ...init });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(str(body.error) || `${res.status} ${res.statusText}`);
  return body;
}

function setConnection(text) {
  const node = document.getElementById('connection');
  if (node) node.textContent = text;
}

// ---- charts (inline SVG) ----

/** Empties the chart's container; with nothing to draw it says so and returns false. */
function startChart(container, items) {
  container.replaceChildren();
  if (items.length > 0) return true;
  container.append(el('p', { class: 'muted', text: 'No usage yet.' }));
  return false;
}

/** Horizontal bars, one per row ({key, value}). */
function barChart(container, rows, format) {
  if (!startChart(container, rows)) return;
  const width = 360;
  const rowHeight = 18;
  const labelWidth = 140;
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const svg = svgEl('svg', { width, height: rows.length * rowHeight + 4, role: 'img' });
  rows.forEach((r, i) => {
    const y = i * rowHeight + 2;
    const label = svgEl('text', { x: 0, y: y + 12 });
    label.textContent = r.key.length > 22 ? `…${r.key.slice(-21)}` : r.key;
    const w = Math.max(1, ((width - labelWidth - 60) * r.value) / max);
    const bar = svgEl('rect', { class: 'bar', x: labelWidth, y: y + 3, width: w, height: rowHeight - 6 });
    const value = svgEl('text', { x: labelWidth + w + 4, y: y + 12 });
    value.textContent = format(r.value);
    const title = svgEl('title', {});
    title.textContent = `${r.key}: ${format(r.value)}`;
    bar.append(title);
    svg.append(label, bar, value);
  });
  container.append(svg);
}

/** A line over time: points {t, value}, already in order. */
function lineChart(container, points, format) {
  if (!startChart(container, points)) return;
  const width = 360;
  const height = 140;
  const pad = 28;
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1);
  const max = Math.max(...points.map((p) => p.value), 1e-9);
  const x = (t) => pad + ((width - 2 * pad) * (t - t0)) / (t1 - t0);
  const y = (v) => height - pad - ((height - 2 * pad) * v) / max;
  const svg = svgEl('svg', { width, height, role: 'img' });
  svg.append(
    svgEl('line', { class: 'axis', x1: pad, y1: height - pad, x2: width - pad, y2: height - pad }),
    svgEl('line', { class: 'axis', x1: pad, y1: pad, x2: pad, y2: height - pad }),
  );
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  svg.append(svgEl('path', { class: 'line', d: points.length === 1 ? `${path} h1` : path }));
  const top = svgEl('text', { x: 2, y: pad - 6 });
  top.textContent = format(max);
  const start = svgEl('text', { x: pad, y: height - 8 });
  start.textContent = new Date(t0).toLocaleTimeString();
  const end = svgEl('text', { x: width - pad - 50, y: height - 8 });
  end.textContent = new Date(t1).toLocaleTimeString();
  svg.append(top, start, end);
  container.append(svg);
}

// ---- the sessions page ----

function tasksSummary(tasks) {
  if (tasks.length === 0) return '';
  const open = tasks.filter(
    (t) => !['done', 'failed', 'cancelled', 'timed_out', 'conflict', 'interrupted'].includes(t.state),
  );
  return open.length > 0 ? `${open.length} running of ${tasks.length}` : `${tasks.length} finished`;
}

async function refreshSessions() {
  const all = document.getElementById('show-closed').checked;
  const { sessions } = await api(`/api/sessions${all ? '?all=1' : ''}`);
  const tbody = document.querySelector('#sessions tbody');
  tbody.replaceChildren(
    ...sessions.map((s) =>
      el(
        'tr',
        { 'data-session': s.id },
        el('td', {}, el('a', { href: `/sessions/${encodeURIComponent(s.id)}`, text: s.name })),
        el('td', { class: `state-${s.state}`, text: s.interrupted ? `${s.state} (interrupted)` : s.state }),
        el('td', { text: s.projectRoot }),
        el('td', { text: `${s.provider}/${s.model}` }),
        el('td', { class: 'num', text: usd(s.costUsd) }),
        el('td', { class: `num${s.pendingApprovals > 0 ? ' pending' : ''}`, text: String(s.pendingApprovals) }),
        el('td', { text: tasksSummary(s.tasks) }),
        el('td', { text: when(s.lastActivityAt) }),
      ),
    ),
  );
  document.getElementById('no-sessions').hidden = sessions.length > 0;
}

async function refreshUsage() {
  const usage = await api('/api/usage');
  const rows = (list) => list.map((r) => ({ key: r.key || '(none)', value: r.costUsd }));
  barChart(document.getElementById('chart-day'), rows(usage.byDay), usd);
  barChart(document.getElementById('chart-provider'), rows(usage.byProvider), usd);
  barChart(document.getElementById('chart-model'), rows(usage.byModel), usd);
  barChart(document.getElementById('chart-project'), rows(usage.byProject), usd);
}

const mib = (bytes) => `${(num(bytes) / 1024 / 1024).toFixed(1)} MiB`;

/** A table of rows under a header, each cell text. */
function fillTable(table, head, rows) {
  table.replaceChildren(
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { text: str(c) }))))),
  );
}

/** The daemon panel: the `sylk top` snapshot. */
async function refreshTop() {
  const t = await api('/api/top');
  const g = t.gate ?? {};
  const sch = t.scheduler ?? {};
  const p = t.pressure ?? {};
  const summary = [
    [
      'sylkd',
      `pid ${num(t.pid)}, up ${Math.round(num(t.uptimeSeconds))} s, RSS ${mib(t.rssBytes)}, heap ${mib(t.heapUsedBytes)}`,
    ],
    ['Sessions', `${num(t.loadedSessions)} loaded of ${num(t.totalSessions)}`],
    [
      'LLM gate',
      `${num(g.inFlight)} in flight of ${num(g.workers)} workers; queued ${num(g.queuedUser)} user, ${num(g.queuedPipeline)} pipeline; ${num(g.waiting)} parked`,
    ],
    [
      'Tasks',
      `${num(sch.running)} running of ${num(sch.limit)}, ${num(sch.queued)} queued, ${num(sch.waiting)} waiting, ${num(sch.paused)} paused`,
    ],
    ['Memory', `${str(p.memoryLevel)}: ${mib(p.memoryUsedBytes)} of ${mib(p.memoryCeilingBytes)}`],
    ['Disk', `${str(p.diskLevel)}: ${mib(p.diskUsedBytes)} of ${mib(p.diskQuotaBytes)}`],
  ];
  document
    .getElementById('top-summary')
    .replaceChildren(...summary.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  fillTable(
    document.getElementById('top-providers'),
    ['Provider', 'State', 'Breaker', 'Requests this minute', 'Waiting'],
    (t.providers ?? []).map((v) => [
      v.name,
      v.state,
      v.breaker,
      `${num(v.usedRequests)} / ${num(v.requestsPerMinute) || '∞'}`,
      num(v.rateLimitWaiting),
    ]),
  );
  fillTable(
    document.getElementById('top-pools'),
    ['Pool', 'In use', 'Waiting', 'Background', 'Lent to the user'],
    (t.pools ?? []).map((v) => [
      v.name,
      `${num(v.inUse)} / ${num(v.limit)}`,
      num(v.waiting),
      `${num(v.background)} / ${num(v.backgroundLimit)}`,
      num(v.preempted),
    ]),
  );
  fillTable(
    document.getElementById('top-tasks'),
    ['Session', 'Task', 'Role', 'State', 'Cost', 'Goal'],
    (t.tasks ?? []).map((v) => [v.sessionName, v.id, v.role, v.state, usd(v.costUsd), v.goal]),
  );
}

function sessionsPage() {
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await Promise.all([refreshSessions(), refreshUsage()]);
    } catch (err) {
      setConnection(`error: ${err.message}`);
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };
  document.getElementById('show-closed').addEventListener('change', refresh);
  const source = new EventSource('/api/sessions/stream');
  source.addEventListener('open', () => {
    setConnection('live');
    void refresh();
  });
  source.addEventListener('changed', refresh);
  source.addEventListener('error', () => setConnection('reconnecting…'));
  // Costs and times also move without a commit (another daemon's usage, the clock).
  setInterval(refresh, 10_000);
  const top = () => refreshTop().catch((err) => setConnection(`error: ${err.message}`));
  void top();
  setInterval(top, 2_000);
}

// ---- a session's page ----

function sessionId() {
  return decodeURIComponent(location.pathname.replace(/^\/sessions\//, ''));
}

/** The transcript: each event as a list item; streamed text is appended to the block it continues. */
class Transcript {
  constructor(list) {
    this.list = list;
    this.text = undefined;
    this.textKind = '';
    /** Whether the reply in progress came as deltas (its assistant_message then adds nothing). */
    this.streamedReply = false;
    /** Each running tool call's output, collapsed under the call. */
    this.outputs = new Map();
  }

  add(kind, ...children) {
    const item = el('li', { class: `ev-${kind}` }, ...children);
    this.list.append(item);
    return item;
  }

  stream(kind, text) {
    if (this.text === undefined || this.textKind !== kind) {
      this.text = this.add(kind, '');
      this.textKind = kind;
    }
    this.text.append(document.createTextNode(text));
    this.followScroll();
  }

  endStream() {
    this.text = undefined;
    this.textKind = '';
  }

  /**
   * Keeps the end in view if it was, once per frame: reading the page's height after every
   * appended delta would lay the page out again per event (a long transcript's replay stalls).
   */
  followScroll() {
    if (this.scrollDue) return;
    this.scrollDue = true;
    const following = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    requestAnimationFrame(() => {
      this.scrollDue = false;
      if (following) window.scrollTo(0, document.body.scrollHeight);
    });
  }

  event(e) {
    const d = e.data ?? {};
    const task = d.pipeline ? `[task ${str(d.pipeline)}] ` : '';
    if (e.kind === 'assistant_delta') {
      this.streamedReply = true;
      return this.stream('assistant', str(d.text));
    }
    if (e.kind === 'thinking_delta') return this.stream('thinking', str(d.text));
    this.endStream();
    switch (e.kind) {
      case 'user_input':
        this.add('user_input', '› ', str(d.text));
        break;
      case 'assistant_message':
        // Its text came as deltas already; a reply without them (a partial one, a resume) is shown whole.
        if (!this.streamedReply && str(d.text) !== '') this.add('assistant', task, str(d.text));
        this.streamedReply = false;
        break;
      case 'tool_started':
        this.add('tool', `${task}● ${str(d.name)} `, el('span', { class: 'muted', text: str(d.summary) }));
        break;
      case 'tool_output': {
        const id = str(d.callId);
        let out = this.outputs.get(id);
        if (out === undefined) {
          const summary = el('summary', { text: 'output' });
          const pre = el('pre');
          const box = el('details', { open: true }, summary, pre);
          out = { box, summary, pre, lines: 0 };
          this.outputs.set(id, out);
          this.add('tool', box);
        }
        out.lines += 1;
        out.summary.textContent = `output (${out.lines} line${out.lines === 1 ? '' : 's'})`;
        out.pre.append(document.createTextNode(`${str(d.line)}\n`));
        break;
      }
      case 'tool_finished': {
        const out = this.outputs.get(str(d.callId));
        if (out !== undefined) out.box.open = false;
        this.outputs.delete(str(d.callId));
        const ok = d.ok !== false && d.isError !== true;
        const secs = (num(d.durationMs) / 1000).toFixed(1);
        this.add(
          'tool',
          `${task}${ok ? '✓' : '✗'} ${str(d.name)} (${secs}s)${d.summary ? ` — ${str(d.summary)}` : ''}`,
        );
        break;
      }
      case 'approval_requested':
        this.add(
          'approval',
          `${task}? approval needed [${str(d.approvalId)}] ${str(d.summary)}`,
          el('pre', { text: str(d.detail) }),
        );
        break;
      case 'approval_resolved':
        this.add(
          'approval',
          `→ ${str(d.decision).replace(/_/g, ' ')}${d.message ? `: ${str(d.message)}` : ''} [${str(d.approvalId)}] by ${str(d.by)}`,
        );
        break;
      case 'state_changed':
        this.add('state', `state: ${str(d.to)}${d.reason ? ` (${str(d.reason)})` : ''}`);
        break;
      case 'usage': {
        const u = d.usage ?? {};
        const cost = typeof d.costUsd === 'number' ? ` · ${usd(d.costUsd)}` : '';
        this.add('usage', `${task}${num(u.inputTokens)} in / ${num(u.outputTokens)} out tokens${cost}`);
        break;
      }
      case 'notice':
        this.add('notice', `${task}! ${str(d.message)}`);
        break;
      case 'error':
        this.add('error', `${task}✗ ${str(d.message)}${d.hint ? ` → ${str(d.hint)}` : ''}`);
        break;
      case 'turn_interrupted':
        this.add('notice', `⏹ turn interrupted: ${str(d.reason)}`);
        break;
      case 'turn_rewound':
        this.add('notice', `↶ rewound to before turn ${str(d.turn)}`);
        break;
      case 'compacted':
        this.add('notice', `older messages summarised (${num(d.tokensBefore)} → ${num(d.tokensAfter)} tokens)`);
        break;
      case 'process_exited':
        this.add('notice', `⏹ ${str(d.message)}`);
        break;
      case 'pipeline':
        this.add('notice', `task ${str(d.pipeline)} (${str(d.role)}) ${str(d.state)}: ${str(d.goal)}`);
        break;
      default:
        break;
    }
    this.followScroll();
  }
}

function renderMeta(s) {
  document.title = `Sylk · ${s.name}`;
  document.getElementById('session-name').textContent = s.name;
  const rows = [
    ['State', s.interrupted ? `${s.state} (interrupted)` : s.state],
    ['Project', s.projectRoot],
    ['Model', `${s.provider}/${s.model}`],
    ['Cost', usd(s.costUsd)],
    ['Attached clients', String(s.attachedClients)],
    ['Id', s.id],
  ];
  document
    .getElementById('session-meta')
    .replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

function approvalCard(a, onDecided) {
  const message = el('input', {
    type: 'text',
    placeholder: 'message for the agent',
    'aria-label': 'message for the agent',
  });
  const status = el('span', { class: 'muted' });
  const decide = (decision) => async () => {
    if (decision === 'deny_with_message' && message.value.trim() === '') {
      status.textContent = 'write a message first';
      message.focus();
      return;
    }
    status.textContent = 'sending…';
    try {
      await api(`/api/approvals/${encodeURIComponent(a.id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision, message: decision === 'deny_with_message' ? message.value : '' }),
      });
      status.textContent = 'sent';
    } catch (err) {
      status.textContent = err.message;
    }
    onDecided();
  };
  return el(
    'div',
    { class: 'approval', 'data-approval': a.id },
    el(
      'div',
      {},
      el('strong', { text: 'Approval needed ' }),
      el('span', { class: 'muted', text: `[${a.id}] ${a.kind}` }),
    ),
    el('div', { text: a.summary }),
    el('pre', { text: a.detail }),
    a.reason ? el('div', { class: 'muted', text: a.reason }) : null,
    a.proposedRule ? el('div', { class: 'muted', text: `allow always adds the rule: ${a.proposedRule}` }) : null,
    el(
      'div',
      { class: 'buttons' },
      el('button', { type: 'button', 'data-decision': 'allow_once', onclick: decide('allow_once'), text: 'Approve' }),
      el('button', {
        type: 'button',
        'data-decision': 'allow_session',
        onclick: decide('allow_session'),
        text: 'Approve for this session',
      }),
      el('button', { type: 'button', 'data-decision': 'deny', onclick: decide('deny'), text: 'Deny' }),
      message,
      el('button', {
        type: 'button',
        'data-decision': 'deny_with_message',
        onclick: decide('deny_with_message'),
        text: 'Deny with message',
      }),
      status,
    ),
  );
}

/** The latest state of each delegated task, from its `pipeline` events. */
function renderTasks(tasks) {
  const rows = [...tasks.values()];
  document.querySelector('#tasks tbody').replaceChildren(
    ...rows.map((t) =>
      el(
        'tr',
        { 'data-task': t.pipeline },
        el('td', { text: t.pipeline }),
        el('td', { text: t.role }),
        el('td', { class: `state-${t.state}`, text: t.state }),
        el('td', { class: 'num', text: usd(t.costUsd) }),
        el('td', { text: t.goal }),
        el('td', {
          text:
            t.error ||
            (t.conflicts.length > 0
              ? `conflicts: ${t.conflicts.join(', ')}`
              : t.merged.length > 0
                ? `merged: ${t.merged.join(', ')}`
                : ''),
        }),
      ),
    ),
  );
  document.getElementById('no-tasks').hidden = rows.length > 0;
}

function sessionPage() {
  const id = sessionId();
  const transcript = new Transcript(document.getElementById('transcript'));
  const tasks = new Map();
  const cost = [];
  const tokens = [];
  let totals = { cost: 0, tokens: 0 };
  let chartsDue = false;
  let busy = false;
  let again = false;

  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const { session, approvals } = await api(`/api/sessions/${encodeURIComponent(id)}`);
      renderMeta(session);
      const holder = document.getElementById('approvals');
      holder.replaceChildren(...approvals.map((a) => approvalCard(a, refresh)));
      document.getElementById('no-approvals').hidden = approvals.length > 0;
    } catch (err) {
      setConnection(`error: ${err.message}`);
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };

  const drawCharts = () => {
    chartsDue = false;
    lineChart(document.getElementById('chart-cost'), cost, usd);
    lineChart(document.getElementById('chart-tokens'), tokens, (v) => String(Math.round(v)));
  };

  const onEvent = (e) => {
    transcript.event(e);
    const d = e.data ?? {};
    if (e.kind === 'usage') {
      const u = d.usage ?? {};
      totals = { cost: totals.cost + num(d.costUsd), tokens: totals.tokens + num(u.inputTokens) + num(u.outputTokens) };
      cost.push({ t: e.ts, value: totals.cost });
      tokens.push({ t: e.ts, value: totals.tokens });
      if (!chartsDue) {
        chartsDue = true;
        requestAnimationFrame(drawCharts);
      }
    }
    if (e.kind === 'pipeline') {
      tasks.set(str(d.pipeline), {
        pipeline: str(d.pipeline),
        role: str(d.role),
        state: str(d.state),
        goal: str(d.goal),
        costUsd: num(d.costUsd),
        error: str(d.error),
        merged: Array.isArray(d.merged) ? d.merged.map(str) : [],
        conflicts: Array.isArray(d.conflicts)
          ? d.conflicts.map((c) => str(c && typeof c === 'object' ? c.path : c))
          : [],
      });
      renderTasks(tasks);
    }
    // Approvals come and go (answered here, in the CLI, timed out): the daemon's list is the truth.
    if (e.kind === 'approval_requested' || e.kind === 'approval_resolved' || e.kind === 'state_changed') void refresh();
  };

  renderTasks(tasks);
  drawCharts();
  void refresh();
  // Replayed from the first event, then live; a reconnect resumes after the last one seen (Last-Event-ID).
  const source = new EventSource(`/api/sessions/${encodeURIComponent(id)}/events`);
  source.addEventListener('open', () => setConnection('live'));
  source.addEventListener('error', () => setConnection('reconnecting…'));
  source.addEventListener('message', (m) => {
    let e;
    try {
      e = JSON.parse(m.data);
    } catch {
      return;
    }
    onEvent(e);
    document.body.dataset.lastSeq = String(e.seq);
  });
}

document.addEventListener('DOMContentLoaded', () => {
  if (document.body.dataset.page === 'sessions') sessionsPage();
  else if (document.body.dataset.page === 'session') sessionPage();
});
