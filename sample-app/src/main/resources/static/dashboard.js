// Live dashboard of /actuator/quotas: one card per agent with its in-flight permits against its
// limit, one bar per budget (what remains of its limit, and when it resets), and a chart of
// rejections per second; from /usage (the Spring AI usage listener), each agent's tokens per
// minute, cost today and refused tool calls. Plain JS, no dependencies (the app runs offline).
(function () {
  'use strict';

  var POLL_MS = 500;
  var HISTORY = 120; // samples kept: 60 s at 500 ms
  var PALETTE = ['#3b6fd8', '#0ca678', '#f59f00', '#ae3ec9', '#e8590c', '#1098ad', '#d6336c', '#5c940d'];

  var agentsEl = document.getElementById('agents');
  var canvas = document.getElementById('rejections');
  var legendEl = document.getElementById('legend');
  var statusDot = document.getElementById('status-dot');
  var statusText = document.getElementById('status-text');

  var colors = {};
  var lastRejected = {};
  var lastTime = null;
  var history = []; // [{ t, rates: { agent: perSecond } }]
  var usage = {}; // agent -> the latest of GET /usage

  function colorOf(agent) {
    if (!colors[agent]) {
      colors[agent] = PALETTE[Object.keys(colors).length % PALETTE.length];
    }
    return colors[agent];
  }

  // Jackson writes java.time.Duration as ISO-8601 text, for example "PT1.5S" or "PT2M".
  function seconds(iso) {
    if (iso === null || iso === undefined) return null;
    if (typeof iso === 'number') return iso;
    var m = /^PT(?:(-?\d+(?:\.\d+)?)H)?(?:(-?\d+(?:\.\d+)?)M)?(?:(-?\d+(?:\.\d+)?)S)?$/.exec(iso);
    if (!m) return null;
    return (parseFloat(m[1] || 0) * 3600) + (parseFloat(m[2] || 0) * 60) + parseFloat(m[3] || 0);
  }

  function formatSeconds(s) {
    if (s === null) return '–';
    if (s === 0) return '0 s';
    if (s < 1) return Math.round(s * 1000) + ' ms';
    if (s < 60) return s.toFixed(1) + ' s';
    return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fact(label, value, warn, wide) {
    var node = el('div', (warn ? 'warn ' : '') + (wide ? 'wide' : ''));
    node.appendChild(document.createTextNode(label + ' '));
    node.appendChild(el('b', '', String(value)));
    return node;
  }

  // "1m" -> "/ min", "day" -> "/ day"; other durations as the endpoint writes them ("/ 30s").
  var WINDOWS = { '1s': '/ s', '1m': '/ min', '60s': '/ min', '1h': '/ hour', '60m': '/ hour',
    '1d': '/ 24 h', day: '/ day', week: '/ week', month: '/ month' };

  function windowText(window) {
    return WINDOWS[window] || ('/ ' + window);
  }

  function amount(unit, value) {
    var n = Number(value);
    if (unit === 'cost') return n.toFixed(4);
    return Math.round(n).toLocaleString('en-US');
  }

  function untilText(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }

  // One budget: what remains of its limit as a bar, its unit and window, and when it resets.
  function renderBudget(agent, b, now) {
    var limit = Number(b.limit), remaining = Number(b.remaining);
    var share = limit > 0 ? Math.max(0, Math.min(1, remaining / limit)) : 0;
    var spentShare = limit > 0 ? 1 - remaining / limit : 1;
    var resetsIn = Date.parse(b.resetsAt) - now;
    var warned = b.warnAt !== null && b.warnAt !== undefined && spentShare >= b.warnAt;
    var state = remaining <= 0 ? 'exhausted' : (warned ? 'warn' : 'ok');
    var name = b.unit.replace(/-/g, ' ') + ' ' + windowText(b.window);
    var left = remaining < 0 ? 'over by ' + amount(b.unit, -remaining) + ' of ' + amount(b.unit, limit)
      : amount(b.unit, remaining) + ' of ' + amount(b.unit, limit) + ' left';
    var reset = resetsIn > 0 ? 'resets in ' + untilText(resetsIn) : 'full';

    var node = el('div', 'budget ' + state);
    node.setAttribute('data-unit', b.unit);
    node.setAttribute('data-window', b.window);
    node.setAttribute('data-limit', String(b.limit));
    node.setAttribute('data-remaining', String(b.remaining));
    node.setAttribute('data-resets-at', b.resetsAt);

    var head = el('div', 'budget-head');
    head.appendChild(el('span', 'budget-name', name));
    head.appendChild(el('span', 'budget-left', left));
    var bar = el('div', 'budget-bar');
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-label', agent + ' ' + name + ' budget');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(b.limit));
    bar.setAttribute('aria-valuenow', String(Math.max(0, remaining)));
    bar.setAttribute('aria-valuetext', left + ', ' + reset);
    var fill = el('div', 'budget-fill');
    fill.style.width = (100 * share).toFixed(1) + '%';
    bar.appendChild(fill);
    if (b.warnAt !== null && b.warnAt !== undefined) {
      // The warn-at line: spending past it leaves less than (1 - warnAt) of the bar.
      var mark = el('div', 'budget-warn-at');
      mark.style.left = (100 * (1 - b.warnAt)).toFixed(1) + '%';
      mark.title = 'warns at ' + Math.round(100 * b.warnAt) + '% spent';
      bar.appendChild(mark);
    }
    node.appendChild(head);
    node.appendChild(bar);
    node.appendChild(el('div', 'budget-reset', reset));
    return node;
  }

  function renderAgent(id, s) {
    var card = document.querySelector('.agent[data-agent="' + CSS.escape(id) + '"]');
    if (!card) {
      card = el('article', 'agent');
      card.setAttribute('data-agent', id);
      card.style.setProperty('--agent-color', colorOf(id));
      agentsEl.appendChild(card);
    }
    card.setAttribute('data-in-flight', String(s.inFlight));
    card.setAttribute('data-limit', String(s.maxConcurrentExecutions));
    card.setAttribute('data-waiting', String(s.waiting));
    card.setAttribute('data-rejected', String(s.rejected));

    var head = el('div', 'agent-head');
    head.appendChild(el('span', 'agent-name', id));
    var count = el('span', 'agent-count');
    count.appendChild(el('strong', '', String(s.inFlight)));
    count.appendChild(document.createTextNode(' / ' + s.maxConcurrentExecutions + ' in flight'));
    head.appendChild(count);

    var bar;
    var limit = s.maxConcurrentExecutions;
    if (limit > 0 && limit <= 24) {
      bar = el('div', 'bar');
      var cells = Math.max(limit, s.inFlight);
      for (var i = 0; i < cells; i++) {
        bar.appendChild(el('div', 'cell' + (i < s.inFlight ? (i < limit ? ' used' : ' over') : '')));
      }
    }
    else {
      bar = el('div', 'bar continuous');
      var fill = el('div', 'fill');
      fill.style.width = (limit > 0 ? Math.min(100, 100 * s.inFlight / limit) : 0) + '%';
      bar.appendChild(fill);
    }
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-valuenow', String(s.inFlight));
    bar.setAttribute('aria-valuemax', String(limit));

    var facts = el('div', 'facts');
    facts.appendChild(fact('waiting', s.waiting, s.waiting > 0));
    facts.appendChild(fact('available', s.available));
    facts.appendChild(fact('acquired', s.acquired));
    facts.appendChild(fact('rejected', s.rejected, s.rejected > 0));
    facts.appendChild(fact('oldest permit', formatSeconds(seconds(s.oldestPermitAge))));
    facts.appendChild(fact('max wait', formatSeconds(seconds(s.maxWait))));
    if (s.maxRequestsPerMinute !== null && s.maxRequestsPerMinute !== undefined) {
      facts.appendChild(fact('rate budget left', s.availableRequestsPerMinute + ' of ' + s.maxRequestsPerMinute + ' / min',
        s.availableRequestsPerMinute === 0, true));
    }
    if (s.maxRequestsPerHour !== null && s.maxRequestsPerHour !== undefined) {
      facts.appendChild(fact('rate budget left', s.availableRequestsPerHour + ' of ' + s.maxRequestsPerHour + ' / h',
        s.availableRequestsPerHour === 0, true));
    }

    var u = usage[id];
    if (u) {
      card.setAttribute('data-tokens-per-minute', String(u.tokensPerMinute));
      card.setAttribute('data-tool-refusals', String(u.toolRefusals));
      facts.appendChild(fact('tokens / min', u.tokensPerMinute));
      facts.appendChild(fact('cost today', '$' + Number(u.costToday).toFixed(4)));
      facts.appendChild(fact('tokens in / out', u.promptTokens + ' / ' + u.completionTokens, false, true));
      facts.appendChild(fact('tool calls', u.toolCalls));
      facts.appendChild(fact('tools refused', u.toolRefusals, u.toolRefusals > 0));
    }

    var tags = el('div', 'tags');
    if (u && u.lastRefusal) {
      tags.appendChild(el('span', 'tag refused', 'refused tool ' + u.lastRefusal.toLowerCase().replace(/_/g, ' ')));
    }
    var reasons = s.rejectedByReason || {};
    Object.keys(reasons).forEach(function (reason) {
      if (reasons[reason] > 0) {
        tags.appendChild(el('span', 'tag', reason.toLowerCase().replace(/_/g, ' ') + ': ' + reasons[reason]));
      }
    });
    if (s.dynamic) tags.appendChild(el('span', 'tag', 'dynamic'));

    var budgets = el('div', 'budgets');
    var now = Date.now();
    (s.budgets || []).forEach(function (b) { budgets.appendChild(renderBudget(id, b, now)); });
    card.setAttribute('data-budgets', String((s.budgets || []).length));

    card.replaceChildren(head, bar, budgets, facts, tags);
  }

  function render(agents) {
    var ids = Object.keys(agents).sort();
    ids.forEach(function (id) { renderAgent(id, agents[id]); });
    // Drop cards of agents that are gone (removed or evicted).
    Array.prototype.slice.call(agentsEl.querySelectorAll('.agent')).forEach(function (card) {
      if (!(card.getAttribute('data-agent') in agents)) card.remove();
    });
  }

  function record(agents, now) {
    var rates = {};
    var elapsed = lastTime === null ? null : (now - lastTime) / 1000;
    Object.keys(agents).forEach(function (id) {
      var total = agents[id].rejected;
      var previous = lastRejected[id];
      rates[id] = (elapsed && previous !== undefined) ? Math.max(0, total - previous) / elapsed : 0;
      lastRejected[id] = total;
    });
    lastTime = now;
    history.push({ t: now, rates: rates });
    if (history.length > HISTORY) history.shift();
  }

  function drawChart(ids) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);

    var left = 40, right = 12, top = 12, bottom = 22;
    var plotW = width - left - right, plotH = height - top - bottom;
    var max = 1;
    history.forEach(function (h) {
      var sum = 0;
      ids.forEach(function (id) { sum += h.rates[id] || 0; });
      max = Math.max(max, sum);
    });
    max = Math.ceil(max);

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#6b7280';
    ctx.strokeStyle = '#e3e6eb';
    ctx.lineWidth = 1;
    [0, 0.5, 1].forEach(function (f) {
      var y = top + plotH - f * plotH;
      ctx.beginPath(); ctx.moveTo(left, y + 0.5); ctx.lineTo(width - right, y + 0.5); ctx.stroke();
      ctx.fillText((max * f).toFixed(max * f % 1 ? 1 : 0) + '/s', 4, y + 4);
    });
    ctx.fillText('-60 s', left, height - 6);
    ctx.fillText('now', width - right - 22, height - 6);

    var slot = plotW / HISTORY;
    var offset = HISTORY - history.length;
    history.forEach(function (h, i) {
      var y = top + plotH;
      ids.forEach(function (id) {
        var rate = h.rates[id] || 0;
        if (rate <= 0) return;
        var barH = plotH * rate / max;
        ctx.fillStyle = colorOf(id);
        ctx.fillRect(left + (offset + i) * slot + 1, y - barH, Math.max(1, slot - 2), barH);
        y -= barH;
      });
    });
  }

  function renderLegend(ids) {
    legendEl.replaceChildren.apply(legendEl, ids.map(function (id) {
      var item = el('span', '', id);
      item.style.setProperty('--swatch', colorOf(id));
      return item;
    }));
  }

  function setStatus(ok, text) {
    statusDot.className = 'dot ' + (ok ? 'ok' : 'error');
    statusText.textContent = text;
  }

  function pollUsage() {
    return fetch('usage', { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (body) { usage = body || {}; })
      .catch(function () { /* the quota cards still render */ });
  }

  var polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    pollUsage().then(function () { return fetch('actuator/quotas', { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      }); })
      .then(function (body) {
        var agents = body.agents || {};
        var ids = Object.keys(agents).sort();
        ids.forEach(colorOf);
        render(agents);
        record(agents, Date.now());
        drawChart(ids);
        renderLegend(ids);
        setStatus(true, 'live · ' + new Date().toLocaleTimeString());
      })
      .catch(function (error) { setStatus(false, 'cannot read /actuator/quotas: ' + error.message); })
      .finally(function () { polling = false; });
  }

  function post(url, button, label) {
    button.disabled = true;
    var result = document.getElementById('load-result');
    return fetch(url, { method: 'POST' })
      .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
      .then(function (pair) {
        result.textContent = label(pair[0], pair[1]);
      })
      .catch(function (error) { result.textContent = 'failed: ' + error.message; })
      .finally(function () { button.disabled = false; });
  }

  document.getElementById('load-button').addEventListener('click', function () {
    post('load?calls=8&tools=30', this, function (response, body) {
      var total = Object.keys(body).reduce(function (sum, k) { return sum + body[k]; }, 0);
      return 'started ' + total + ' calls';
    });
  });
  document.getElementById('tools-button').addEventListener('click', function () {
    post('agents/planner/tools?calls=40', this, function (response, body) {
      return response.ok ? body.calls + ' tool calls done' : 'HTTP ' + response.status;
    });
  });

  document.getElementById('draft-button').addEventListener('click', function () {
    post('agents/planner/draft', this, function (response, body) {
      return response.ok ? 'draft: ' + body.inputTokens + ' tokens in, ' + body.outputTokens + ' out'
        : 'HTTP ' + response.status + (body.detail ? ': ' + body.detail : '');
    });
  });

  poll();
  setInterval(poll, POLL_MS);
})();
