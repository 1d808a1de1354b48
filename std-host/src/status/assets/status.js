// The status page of `jinn serve`: polls /status.json and renders it.
// Every value from the gateway goes into the page as text (textContent,
// attributes of created elements); nothing is parsed as HTML.
'use strict';

(() => {
  const REFRESH_MS = 2000;
  const SVG = 'http://www.w3.org/2000/svg';
  let token = null; // kept in this tab's memory only
  let timer = null;

  const $ = (id) => document.getElementById(id);

  // An element with text and class; children appended as they come.
  function el(tag, text, className, ...children) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    for (const c of children) e.append(c);
    return e;
  }

  function headers() {
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  function fuel(n) {
    if (n === null || n === undefined) return '–';
    const units = [[1e9, ' G'], [1e6, ' M'], [1e3, ' k']];
    for (const [size, unit] of units) {
      if (Math.abs(n) >= size * 10) return (n / size).toFixed(0) + unit;
      if (Math.abs(n) >= size) return (n / size).toFixed(1) + unit;
    }
    return String(n);
  }

  function ago(ms, now) {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }

  function when(ms, now) {
    const e = el('span', ago(ms, now));
    e.title = new Date(ms).toISOString();
    return e;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    const s = Math.round(ms / 1000);
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return Math.round(s / 3600) + ' h';
  }

  // Calls (and errors over them) per slot, as SVG bars.
  function sparkline(history) {
    const w = 120, h = 24, n = history.calls.length;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('width', w);
    svg.setAttribute('height', h);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const max = Math.max(1, ...history.calls);
    const bar = w / Math.max(1, n);
    const rect = (i, value, cls) => {
      if (!value) return;
      const height = Math.max(1, Math.round((value / max) * (h - 2)));
      const r = document.createElementNS(SVG, 'rect');
      r.setAttribute('x', (i * bar).toFixed(1));
      r.setAttribute('y', h - height);
      r.setAttribute('width', Math.max(1, bar - 1).toFixed(1));
      r.setAttribute('height', height);
      r.setAttribute('class', cls);
      svg.append(r);
    };
    history.calls.forEach((v, i) => rect(i, v, 'spark-calls'));
    history.errors.forEach((v, i) => rect(i, v, 'spark-errors'));
    const base = document.createElementNS(SVG, 'line');
    base.setAttribute('x1', 0);
    base.setAttribute('x2', w);
    base.setAttribute('y1', h - 0.5);
    base.setAttribute('y2', h - 0.5);
    base.setAttribute('class', 'spark-base');
    svg.append(base);
    const title = document.createElementNS(SVG, 'title');
    const calls = history.calls.reduce((a, b) => a + b, 0);
    const errors = history.errors.reduce((a, b) => a + b, 0);
    title.textContent = `${calls} calls, ${errors} errors in the last ${n * history.slot_ms / 60000} min`;
    svg.append(title);
    return svg;
  }

  function functionRow(f) {
    const tr = el('tr');
    tr.dataset.function = f.name;
    const name = el('td', null, 'name', el('strong', f.name));
    if (f.routes.length) name.append(el('div', f.routes.join(' '), 'muted'));
    const status = el('td', null, 'status-cell',
      el('span', f.status.replace('_', ' '), 'status status-' + f.status.replace(/[^a-z_]/g, '')));
    if (f.last_error) status.append(el('div', f.last_error, 'muted'));
    const quota = f.quota
      ? el('td', fuel(f.quota.left), 'num quota')
      : el('td', '–', 'num quota muted');
    if (f.quota) quota.title = `${f.quota.left} of ${f.quota.fuel} fuel per ${f.quota.window_ms / 1000} s`;
    const module = el('td', null, 'module',
      el('div', f.module.split('/').pop()),
      el('code', f.module_sha256.slice(0, 12), 'hash'));
    module.title = `${f.module}\nsha256 ${f.module_sha256}`;
    const p50 = el('td', fuel(f.fuel_p50), 'num fuel-p50');
    const p99 = el('td', fuel(f.fuel_p99), 'num fuel-p99');
    p50.title = p99.title = `over the last ${f.fuel_samples} calls`;
    tr.append(
      name, status,
      el('td', f.calls, 'num calls'),
      el('td', f.errors, 'num errors' + (f.errors ? ' bad' : '')),
      p50, p99,
      el('td', null, 'history', sparkline(f.history)),
      quota, module);
    return tr;
  }

  function copyButton(text) {
    const b = el('button', 'copy', 'copy');
    b.type = 'button';
    b.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(text);
        b.textContent = 'copied';
      } catch (_) {
        b.textContent = 'select it';
      }
    });
    return b;
  }

  function failureRow(f, now) {
    const tr = el('tr');
    tr.dataset.traceId = f.trace_id;
    const error = el('td', null, 'error', el('strong', f.kind), el('div', f.message, 'muted'));
    const replay = el('td', null, 'replay');
    if (f.replay) {
      replay.append(el('code', f.replay, 'replay-command'), copyButton(f.replay));
    } else {
      replay.append(el('span', 'no snapshot (record_crashes = false)', 'muted'));
    }
    tr.append(
      el('td', null, null, when(f.at_ms, now)),
      el('td', f.function, 'function'),
      el('td', null, null, el('code', f.trace_id, 'trace-id')),
      error, replay);
    return tr;
  }

  function reloadRow(r, now) {
    const result = r.ok
      ? el('td', 'generation ' + r.generation, 'result')
      : el('td', 'refused: ' + r.error, 'result bad');
    return el('tr', null, null, el('td', null, null, when(r.at_ms, now)), el('td', r.why), result);
  }

  function brokerRow(b, now) {
    const tr = el('tr');
    tr.dataset.connection = b.name;
    const state = b.state.replace(/[^a-z]/g, '');
    tr.append(
      el('td', null, 'name', el('strong', b.name)),
      el('td', null, 'url', el('code', b.url)),
      el('td', null, 'state-cell', el('span', b.state, 'status state state-' + state)),
      b.since_ms === null ? el('td', '–', 'since muted') : el('td', null, 'since', when(b.since_ms, now)),
      el('td', b.required ? 'yes' : 'no', 'required'),
      el('td', b.outbox_messages, 'num outbox-messages'),
      el('td', b.outbox_bytes, 'num outbox-bytes'),
      el('td', duration(b.outbox_oldest_age_ms), 'num outbox-oldest'),
      el('td', b.dead_letters, 'num dead-letters' + (b.dead_letters ? ' bad' : '')));
    return tr;
  }

  function pairs(dl, list) {
    dl.replaceChildren(...list.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  }

  function render(s) {
    $('login').hidden = true;
    $('main').hidden = false;
    $('error').textContent = '';
    const failing = s.functions.filter((f) => f.status !== 'ok' && f.status !== 'idle').length;
    $('summary').textContent =
      `${s.functions.length} functions · generation ${s.generation} · ` +
      (s.ready ? 'ready' : 'not ready') + (failing ? ` · ${failing} not ok` : '') + ` · v${s.version}`;
    $('updated').textContent = 'updated ' + new Date(s.now_ms).toLocaleTimeString();

    const attention = s.attention.map((a) => {
      const li = el('li', null, a.level);
      li.dataset.what = a.what;
      if (a.function) li.append(el('strong', a.function + ': '));
      if (a.connection) li.append(el('strong', 'MQTT ' + a.connection + ': '));
      li.append(a.message);
      return li;
    });
    $('attention').replaceChildren(...attention);
    $('attention-none').hidden = attention.length > 0;

    $('functions').tBodies[0].replaceChildren(...s.functions.map(functionRow));

    const g = s.gateway;
    pairs($('gateway'), [
      ['in flight', `${g.in_flight} on ${g.workers} workers`],
      ['queued', `${g.queue_depth} of ${g.queue_capacity}`],
      ['connections', String(g.connections)],
      ['storage', g.storage_healthy ? 'commits' : 'FAILING'],
    ]);
    pairs($('outbox'), [
      ['messages', `${s.outbox.messages} of ${s.outbox.max_messages}`],
      ['oldest', s.outbox.oldest_age_ms === null ? '–' : duration(s.outbox.oldest_age_ms)],
    ]);
    $('brokers').tBodies[0].replaceChildren(...s.brokers.map((b) => brokerRow(b, s.now_ms)));
    $('brokers-none').hidden = s.brokers.length > 0;
    $('brokers').hidden = s.brokers.length === 0;

    $('failures').tBodies[0].replaceChildren(...s.failures.map((f) => failureRow(f, s.now_ms)));
    $('failures-none').hidden = s.failures.length > 0;
    $('failures').hidden = s.failures.length === 0;
    $('reloads').tBodies[0].replaceChildren(...s.reloads.map((r) => reloadRow(r, s.now_ms)));
    $('reloads-none').hidden = s.reloads.length > 0;
    $('reloads').hidden = s.reloads.length === 0;

    $('actions').hidden = !s.actions.includes('reload');
  }

  async function load() {
    try {
      const r = await fetch('/status.json', { headers: headers(), cache: 'no-store' });
      if (r.status === 401) {
        // Nothing to poll for until a token is given.
        clearInterval(timer);
        timer = null;
        $('main').hidden = true;
        $('login').hidden = false;
        $('summary').textContent = 'admin token required';
        $('login-error').textContent = token ? 'That token was refused.' : '';
        token = null;
        return;
      }
      if (!r.ok) throw new Error(`/status.json answered ${r.status}`);
      render(await r.json());
    } catch (e) {
      $('error').textContent = 'Cannot read the status: ' + e.message;
    }
  }

  function start() {
    if (timer) clearInterval(timer);
    load();
    timer = setInterval(load, REFRESH_MS);
  }

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim() || null;
    $('token').value = '';
    start();
  });

  $('reload').addEventListener('click', async () => {
    const out = $('action-result');
    out.textContent = 'reloading…';
    try {
      const r = await fetch('/status/actions/reload', { method: 'POST', headers: headers() });
      const body = await r.json().catch(() => ({}));
      out.textContent = r.ok
        ? `reloaded: generation ${body.generation}`
        : `refused (${r.status} ${body.error || ''})`;
    } catch (e) {
      out.textContent = 'failed: ' + e.message;
    }
    load();
  });

  start();
})();
