// The timeline page: instances, kills, and one instance's logical vs physical memory over time.
// Plain browser JavaScript over the read-only API; uPlot draws the chart.
(() => {
  'use strict';
  const $ = (sel) => document.querySelector(sel);
  const hash = () => new URLSearchParams(location.hash.slice(1));
  let token = hash().get('token') || sessionStorage.getItem('oomwatch-token');
  if (token) sessionStorage.setItem('oomwatch-token', token);

  const view = { host: null, instance: null, span: 3600, from: null, to: null };
  let chart = null;

  async function api(path) {
    const response = await fetch(path, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
    const body = await response.json().catch(() => ({}));
    if (response.status === 503) {
      throw { retry: +(response.headers.get('Retry-After') || 2), message: body.error || 'not ready' };
    }
    if (!response.ok) throw { message: response.status + ' ' + (body.error || '') };
    return body;
  }

  const mb = (b) => {
    if (b == null) return '–';
    if (Math.abs(b) >= 10 * 1073741824) return (b / 1073741824).toFixed(1) + ' GB';
    return (b / 1048576).toFixed(Math.abs(b) < 10485760 ? 1 : 0) + ' MB';
  };
  const time = (ms) => new Date(ms).toLocaleString();
  const text = (tag, value, cls) => {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  };
  const status = (msg) => { $('#status').textContent = msg; };

  function readHash() {
    const h = hash();
    const key = h.get('i');
    if (key && key.includes('|')) {
      view.host = key.slice(0, key.indexOf('|'));
      view.instance = key.slice(key.indexOf('|') + 1);
    }
    view.from = h.has('from') ? +h.get('from') : null;
    view.to = h.has('to') ? +h.get('to') : null;
  }

  function writeHash() {
    const h = new URLSearchParams();
    if (view.host) h.set('i', view.host + '|' + view.instance);
    if (view.from != null) h.set('from', view.from);
    if (view.to != null) h.set('to', view.to);
    history.replaceState(null, '', '#' + h.toString());
  }

  async function loadInstances() {
    const instances = await api('/api/instances');
    instances.sort((a, b) => (a.host + a.instance).localeCompare(b.host + b.instance));
    const body = $('#instances tbody');
    body.replaceChildren();
    let firing = 0;
    for (const i of instances) {
      const p = i.latest || {};
      const row = document.createElement('tr');
      row.dataset.key = i.host + '|' + i.instance;
      if (p.reachable === false) row.classList.add('unreachable');
      if (i.host === view.host && i.instance === view.instance) row.classList.add('selected');
      const name = text('td', i.instance);
      name.append(text('span', (i.pod && i.pod !== i.instance ? 'pod ' + i.pod + ' ' : '') + '@ ' + i.host, 'where'));
      const physical = text('td', mb(p.physical));
      // the kubelet evicts by the working set (usage less inactive file pages): shown beside physical
      if (i.workingSet != null) physical.title = 'working set (as the kubelet counts it): ' + mb(i.workingSet);
      const limit = text('td', mb(p.limit));
      if (i.limitSource) limit.title = i.limitSource;
      // below the headroom, what its next worst-case fork would leave, from its own forks (its sizing)
      const headroom = text('td', mb(i.headroom));
      if (i.sizing) {
        const fork = text('span', 'fork ' + mb(i.sizing.headroomBytes), 'where');
        if (i.sizing.headroomBytes < 0) fork.classList.add('over');
        headroom.append(fork);
        headroom.title = 'maxmemory at most ' + mb(i.sizing.safeMaxmemoryBytes) + ' under this limit, or a limit of '
          + mb(i.sizing.neededLimitBytes) + ' for this data (' + i.sizing.basis + ')';
      }
      row.append(name, text('td', mb(p.usedMemory)), physical, limit, headroom);
      const alerts = document.createElement('td');
      for (const a of i.firing) alerts.append(text('span', a.type, 'badge ' + a.severity));
      firing += i.firing.length;
      row.append(alerts);
      row.addEventListener('click', () => select(i.host, i.instance, null, null));
      body.append(row);
    }
    $('#summary').textContent = instances.length + ' instance(s), ' + firing + ' alert(s) firing';
    if (!view.host && instances.length) select(instances[0].host, instances[0].instance, view.from, view.to);
  }

  async function loadIncidents() {
    // the newest 50, without their snapshots: the timeline shows a kill's detail when one is picked
    const incidents = await api('/api/incidents?limit=50');
    incidents.sort((a, b) => b.timestampMs - a.timestampMs);
    const list = $('#incidents');
    list.replaceChildren();
    for (const k of incidents) {
      const who = k.instance ? k.instance + ' @ ' + k.host : 'unmatched process @ ' + k.host;
      const item = text('li', time(k.timestampMs) + ': ' + who + ' (' + (k.kill.role || 'process') + ' pid '
        + k.kill.victimPid + ', ' + k.alerts.length + ' alert event(s) around it)');
      // the kill explained in Redis's terms, as its alert says it: the fork, the memory's parts, what follows
      const kill = k.alerts.find(a => a.type === 'KERNEL_OOM_KILL' && a.status === 'FIRING' && a.summary.includes('Why: '));
      if (kill) item.append(text('div', kill.summary.substring(kill.summary.indexOf('Why: ')), 'why'));
      if (k.instance) item.addEventListener('click', () => select(k.host, k.instance, k.fromMs, k.toMs));
      list.append(item);
    }
    if (!incidents.length) list.append(text('li', 'none in the retained history', 'none'));
  }

  function select(host, instance, from, to) {
    view.host = host;
    view.instance = instance;
    view.from = from;
    view.to = to;
    writeHash();
    document.querySelectorAll('#instances tbody tr').forEach((r) =>
      r.classList.toggle('selected', r.dataset.key === host + '|' + instance));
    loadTimeline().catch(failed);
  }

  async function loadTimeline() {
    if (!view.host) return;
    const to = view.to != null ? view.to : Date.now();
    const from = view.from != null ? view.from : to - view.span * 1000;
    const t = await api('/api/instances/' + encodeURIComponent(view.instance) + '/timeline?host='
      + encodeURIComponent(view.host) + '&from=' + from + '&to=' + to);
    $('#timeline-title').textContent = 'Timeline of ' + t.instance + ' @ ' + t.host;
    draw(t);
  }

  /**
   * One chart row per full-resolution point and per rolled-up bucket. A bucket is drawn at its
   * maximum (its last for the limits), so a spike inside ten seconds still shows; its span is shaded.
   */
  function rows(t) {
    const out = t.points.map((p) => Object.assign({ x: p.timestampMs / 1000 }, p));
    for (const b of t.buckets || []) {
      const row = { x: b.fromMs / 1000, forking: b.forking, bucket: true };
      for (const [name, range] of Object.entries(b.figures)) {
        row[name] = /limit|maxmemory/i.test(name) ? range.last : range.max;
      }
      out.push(row);
    }
    return out.sort((a, b) => a.x - b.x);
  }

  /** Consecutive rows with a fork in progress, as [start, end] in seconds. */
  function forkWindows(points) {
    const windows = [];
    let start = null;
    points.forEach((p, i) => {
      const s = p.x;
      if (p.forking && start == null) start = s;
      if (!p.forking && start != null) { windows.push([start, s]); start = null; }
      if (i === points.length - 1 && start != null) windows.push([start, s]);
    });
    return windows;
  }

  /** The stretches served as buckets, as [start, end] in seconds, and their width's name. */
  function rolledUp(t) {
    return (t.resolution || []).filter((r) => r.resolution !== 'full').map((r) => [r.fromMs / 1000, r.toMs / 1000, r.resolution]);
  }

  function draw(t) {
    const points = rows(t);
    const xs = points.map((p) => p.x);
    const pick = (f) => points.map((p) => (p[f] == null ? null : p[f]));
    const forks = forkWindows(points);
    const rolled = rolledUp(t);
    // The kernel judges a cgroup's processes by the cgroup's limit: when there is one, that is the
    // line to show (the host's RAM, the fallback before the first kernel view, would flatten the chart).
    const hasCgroup = points.some((p) => p.cgroupLimit != null);
    const limits = hasCgroup ? pick('cgroupLimit') : pick('limit');
    // A cgroup's usage is the instance's only when the instance is judged by that cgroup's limit; a
    // Redis started by hand sits in a shared cgroup (a login session's) whose usage is not its own.
    const ownCgroupUsage = points.map((p) => (p.cgroupLimit != null && p.cgroupUsage != null ? p.cgroupUsage : null));
    const lines = [pick('usedMemory'), pick('usedMemoryRss'), pick('physical'), ownCgroupUsage];
    const dataMax = Math.max(0, ...lines.flat().filter((v) => v != null));
    const limitMax = Math.max(0, ...limits.filter((v) => v != null));
    // A limit far above the data (7 MB against 23 GB of host RAM) would flatten every line at zero:
    // the scale follows the data and the limit is said in a label instead.
    const limitOffScale = dataMax > 0 && limitMax > dataMax * 2.5;
    const yMax = (limitOffScale ? dataMax * 1.25 : Math.max(dataMax, limitMax) * 1.05) || 1;
    const marks = [...t.kills.map((k) => k.timestampMs / 1000), ...t.alerts.map((a) => a.eventTimeMs / 1000)];
    const all = xs.concat(marks);
    const lo = all.length ? Math.min(...all) : t.fromMs / 1000;
    const hi = all.length ? Math.max(...all) : t.toMs / 1000;
    const pad = Math.max(5, (hi - lo) * 0.03);
    const host = $('#chart');
    if (chart) chart.destroy();
    host.replaceChildren();
    const opts = {
      width: Math.max(400, host.clientWidth),
      height: 420,
      scales: { x: { time: true, range: () => [lo - pad, hi + pad] }, y: { range: () => [0, yMax] } },
      axes: [{}, { size: 80, values: (u, vals) => vals.map(mb) }],
      series: [
        {},
        { label: 'used_memory (logical)', stroke: '#1e88e5', width: 2, value: (u, v) => mb(v) },
        { label: 'Redis RSS', stroke: '#8e24aa', width: 1, value: (u, v) => mb(v) },
        { label: 'physical (cgroup anon / RSS)', stroke: '#e53935', width: 2, value: (u, v) => mb(v) },
        { label: 'cgroup usage (its own cgroup)', stroke: '#fb8c00', width: 1, dash: [4, 3], value: (u, v) => mb(v) },
        { label: hasCgroup ? 'cgroup limit' : 'limit (host RAM)', stroke: '#212121', width: 2, dash: [10, 5], value: (u, v) => mb(v) },
      ],
      hooks: {
        drawClear: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(120, 144, 156, 0.10)';
          for (const [a, b] of rolled) {
            const x0 = u.valToPos(a, 'x', true);
            ctx.fillRect(x0, u.bbox.top, Math.max(u.valToPos(b, 'x', true), x0 + 1) - x0, u.bbox.height);
          }
          ctx.fillStyle = 'rgba(255, 167, 38, 0.22)';
          for (const [a, b] of forks) {
            const x0 = u.valToPos(a, 'x', true);
            const x1 = Math.max(u.valToPos(b, 'x', true), x0 + 2);
            ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          }
          ctx.restore();
        }],
        draw: [(u) => { placeMarkers(u, t); placeLimitNote(u, limitOffScale, limitMax, hasCgroup); }],
      },
    };
    chart = new uPlot(opts, [xs, ...lines, limits], host);
    // handles for people debugging the page (and the browser test): the chart and its fork windows
    window.oomwatch = { chart, forks, rolled };
    host.dataset.points = String(t.points.length);
    host.dataset.buckets = String((t.buckets || []).length);
    host.dataset.rolledSpans = String(rolled.length);
    host.dataset.forkWindows = String(forks.length);
    host.dataset.kills = String(t.kills.length);
    host.dataset.alerts = String(t.alerts.length);
    host.dataset.limitOffScale = String(limitOffScale);
    listEvents(t);
    document.body.dataset.state = 'ready';
    status('updated ' + new Date().toLocaleTimeString());
  }

  /** Kills and alerts as elements over the plot, so each has a tooltip and can be found and clicked. */
  function placeMarkers(u, t) {
    u.over.querySelectorAll('.marker').forEach((m) => m.remove());
    const put = (ms, cls, title) => {
      const left = u.valToPos(ms / 1000, 'x');
      const m = document.createElement('div');
      m.className = 'marker ' + cls;
      m.style.left = left + 'px';
      m.title = title;
      u.over.append(m);
    };
    for (const k of t.kills) {
      put(k.timestampMs, 'kill', 'kernel OOM kill at ' + time(k.timestampMs) + ': ' + (k.victimComm || 'process')
        + ' pid ' + k.victimPid + (k.role ? ' (' + k.role + ')' : ''));
    }
    for (const a of t.alerts) {
      put(a.eventTimeMs, 'alert ' + a.severity + ' ' + a.status, a.status + ' ' + a.type + ': ' + a.summary);
    }
  }

  /** When the limit is far above the chart's scale, a label at the top says what and where it is. */
  function placeLimitNote(u, offScale, limit, cgroup) {
    u.over.querySelectorAll('.limit-note').forEach((m) => m.remove());
    if (!offScale) return;
    const note = text('div', '▲ limit ' + mb(limit) + (cgroup ? ' (cgroup)' : ' (host RAM)')
      + ': far above this instance\'s memory, off the top of the chart', 'limit-note');
    u.over.append(note);
  }

  function listEvents(t) {
    const list = $('#events');
    list.replaceChildren();
    const events = [
      ...t.kills.map((k) => ({ ms: k.timestampMs, line: 'KERNEL OOM KILL of pid ' + k.victimPid + ' (' + (k.role || '?') + ')' })),
      ...t.alerts.map((a) => ({ ms: a.eventTimeMs, line: a.status + ' ' + a.severity + ' ' + a.type + ': ' + a.summary })),
    ].sort((a, b) => a.ms - b.ms);
    for (const e of events) list.append(text('li', time(e.ms) + '  ' + e.line));
  }

  function failed(e) {
    status((e && e.message) || String(e));
    if (e && e.retry) setTimeout(refresh, e.retry * 1000);
  }

  async function refresh() {
    try {
      await loadInstances();
      await loadIncidents();
      if (view.to == null) await loadTimeline();
    } catch (e) {
      failed(e);
    }
  }

  document.querySelectorAll('#spans button').forEach((b) => b.addEventListener('click', () => {
    view.span = +b.dataset.span;
    view.from = null;
    view.to = null;
    writeHash();
    document.querySelectorAll('#spans button').forEach((x) => x.classList.toggle('active', x === b));
    loadTimeline().catch(failed);
  }));
  window.addEventListener('resize', () => { if (chart) chart.setSize({ width: $('#chart').clientWidth, height: 420 }); });

  // a link to another instance or span on this page (the address's hash) is followed without a reload
  window.addEventListener('hashchange', () => {
    readHash();
    document.querySelectorAll('#instances tbody tr').forEach((r) =>
      r.classList.toggle('selected', r.dataset.key === view.host + '|' + view.instance));
    loadTimeline().catch(failed);
  });

  readHash();
  refresh().then(() => { if (view.to != null) loadTimeline().catch(failed); });
  setInterval(refresh, 5000);
})();
