/**
 * The status page: static HTML, CSS and script (no external assets, nothing inline, so the CSP can forbid
 * everything else) that polls /status.json. It holds no data itself, so it is served without the token;
 * beyond loopback the admin opens /#token=…: the fragment never leaves the browser, and the script sends
 * it as the bearer token of its requests. The page only reads.
 */
const POLL_MS = 2000

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>halo: the pair</title>
<link rel="stylesheet" href="/status.css">
<script src="/status.js" defer></script>
</head>
<body>
<h1>halo <span id="node"></span></h1>
<p id="state">loading…</p>
<h2>The pair</h2>
<table id="nodes"><thead><tr><th>node</th><th>state</th><th>generation</th><th>links</th></tr></thead><tbody></tbody></table>
<h2>Groups</h2>
<table id="groups"><thead><tr><th>owner (haresources)</th><th>resources</th><th>here</th></tr></thead><tbody></tbody></table>
<h2>Last failovers</h2>
<table id="failovers"><thead><tr><th>from</th><th>why</th><th>everything running</th><th>took</th><th>groups</th></tr></thead><tbody></tbody></table>
<p id="counters"></p>
</body>
</html>
`

export const CSS = `body{font-family:sans-serif;margin:1em 2em;color:#222}
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}
.up,.active,.ping{color:#070}.dead{color:#b00;font-weight:bold}.init{color:#888}#state.error{color:#b00}
`

export const SCRIPT = `'use strict';
(function () {
  var m = /token=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem('halo-token', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname); }
  var token = sessionStorage.getItem('halo-token');
  function cell(tr, text, cls) { var td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  function fill(id, rows) {
    var body = document.querySelector('#' + id + ' tbody');
    body.replaceChildren();
    rows.forEach(function (cells) { var tr = document.createElement('tr'); cells.forEach(function (c) { cell(tr, c[0], c[1]); }); body.appendChild(tr); });
  }
  function show(v) {
    document.getElementById('node').textContent = 'on ' + v.node + ' (' + v.version + ')';
    var st = document.getElementById('state');
    st.className = '';
    st.textContent = 'this node holds: ' + v.resources + ' · as of ' + new Date(v.at).toLocaleTimeString();
    fill('nodes', v.nodes.map(function (n) {
      return [[n.name + (n.type === 'ping' ? ' (ping)' : '')], [n.status, n.status], [n.generation === undefined ? '' : String(n.generation)],
        [n.links.map(function (l) { return l.iface + ' ' + l.status; }).join(', ')]];
    }));
    fill('groups', v.groups.map(function (g) {
      return [[g.owner], [g.resources.map(function (r) { return r.id; }).join(' ')], [g.held ? 'running' : '-', g.held ? 'up' : '']];
    }));
    fill('failovers', v.failovers.map(function (f) {
      return [[new Date(f.since).toLocaleString() + ' (' + f.peer + ')'], [f.why], [new Date(f.doneAt).toLocaleTimeString()], [(f.durationMs / 1000).toFixed(1) + ' s'], [f.set]];
    }));
    var c = v.counters;
    document.getElementById('counters').textContent = 'since start: ' + c.deaths + ' peer death(s), ' + c.failovers + ' failover(s), ' +
      c.fences.ok + ' fence(s) (' + c.fences.failed + ' failed), ' + c.falseDeaths + ' false death(s)';
  }
  function poll() {
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    fetch('/status.json', { headers: headers, cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('the engine answered ' + r.status); return r.json(); })
      .then(show)
      .catch(function (e) { var st = document.getElementById('state'); st.className = 'error'; st.textContent = 'no answer from the engine: ' + e.message; })
      .finally(function () { setTimeout(poll, ${POLL_MS}); });
  }
  poll();
})();
`
