/* The dashboard's and the HTML report's progressive enhancement: times in the browser's own zone,
 * the charts (Chart.js, vendored, fed from the JSON embedded in the page), and a quiet refresh of the
 * page's content. Without JavaScript every page still reads: times in UTC, tables of the figures. */
(function () {
  "use strict";

  var charts = [];
  var COLOURS = { answer: "#0072b2", abandon: "#d55e00", cap: "#b42318", pacing: "#009e73", mark: "#1b1f24" };

  function zoneName() {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
    var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(new Date());
    var short = parts.filter(function (p) { return p.type === "timeZoneName"; }).map(function (p) { return p.value; })[0];
    return short && short !== zone ? zone + " (" + short + ")" : zone;
  }

  var full = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      el.title = el.textContent;
      el.textContent = full.format(when);
    });
    document.querySelectorAll("[data-zone]").forEach(function (el) { el.textContent = zoneName(); });
  }

  function percent(v) { return v + " %"; }

  function timeAxis() {
    return { type: "linear", bounds: "data", ticks: { maxTicksLimit: 8, callback: function (v) { return clock.format(new Date(v)); } } };
  }

  function base(extra) {
    var options = {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: function (items) { return items.length ? full.format(new Date(items[0].parsed.x)) : ""; } } }
      }
    };
    return Object.assign(options, extra);
  }

  function draw(canvas, config) {
    charts.push(new window.Chart(canvas, config));
  }

  function wrap(text, width) {
    var lines = [], line = "";
    String(text).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function historyCharts(root, data) {
    var samples = data.samples.map(function (s) { return Object.assign({}, s, { t: Date.parse(s.at) }); });
    var series = function (key, scale) {
      return samples.filter(function (s) { return s[key] !== undefined; }).map(function (s) { return { x: s.t, y: +(s[key] * scale).toFixed(3) }; });
    };
    var first = samples.length ? samples[0].t : 0, last = samples.length ? samples[samples.length - 1].t : 0;
    var percentAxis = { beginAtZero: true, ticks: { callback: percent } };
    var answer = root.querySelector('canvas[data-chart="answer"]');
    if (answer) {
      draw(answer, { type: "line", data: { datasets: [
        { label: "answer rate", data: series("answerRate", 100), borderColor: COLOURS.answer, backgroundColor: COLOURS.answer, pointRadius: 0, borderWidth: 2 }
      ] }, options: base({ scales: { x: timeAxis(), y: percentAxis } }) });
    }
    var abandon = root.querySelector('canvas[data-chart="abandon"]');
    if (abandon) {
      var cap = +(data.cap * 100).toFixed(3);
      draw(abandon, { type: "line", data: { datasets: [
        { label: "abandon rate", data: series("abandonRate", 100), borderColor: COLOURS.abandon, backgroundColor: COLOURS.abandon, pointRadius: 0, borderWidth: 2, pointStyle: "line" },
        { label: "cap " + cap + " %", data: [{ x: first, y: cap }, { x: last, y: cap }], borderColor: COLOURS.cap, backgroundColor: COLOURS.cap,
          borderDash: [6, 4], pointRadius: 0, borderWidth: 2, pointStyle: "dash" }
      ] }, options: base({ scales: { x: timeAxis(), y: percentAxis },
        plugins: Object.assign(base({}).plugins, { legend: { display: true, labels: { usePointStyle: true } } }) }) });
    }
    var pacing = root.querySelector('canvas[data-chart="pacing"]');
    if (pacing) {
      var marks = data.decisions.map(function (d) {
        return { x: Date.parse(d.at), y: d.applied ? d.to.callsPerMinute : d.from.callsPerMinute, decision: d };
      });
      var plugins = base({}).plugins;
      plugins.legend = { display: true, labels: { usePointStyle: true } };
      plugins.tooltip.callbacks.label = function (item) {
        var d = item.raw.decision;
        if (!d) { return "calls per minute: " + item.parsed.y; }
        var head = "decision: " + d.from.callsPerMinute + " → " + d.to.callsPerMinute + " calls/min" + (d.applied ? "" : " (not applied)");
        return [head].concat(wrap(d.reason, 60));
      };
      draw(pacing, { type: "line", data: { datasets: [
        { label: "calls per minute", data: series("callsPerMinute", 1), stepped: "before", borderColor: COLOURS.pacing,
          backgroundColor: COLOURS.pacing, pointRadius: 0, borderWidth: 2, pointStyle: "line" },
        { label: "pacing decision", data: marks, showLine: false, borderColor: COLOURS.mark, backgroundColor: COLOURS.mark,
          pointStyle: marks.map(function (m) { return m.decision.applied ? "triangle" : "crossRot"; }), pointRadius: 7, pointHoverRadius: 9, borderWidth: 2 }
      ] }, options: base({ scales: { x: timeAxis(), y: { beginAtZero: true, title: { display: true, text: "calls/min" } } }, plugins: plugins }) });
    }
  }

  function reportCharts(root, data) {
    var names = data.rows.map(function (r) { return r.overAbandonCap ? "⚠ " + r.name + " (over cap)" : r.name; });
    var overview = root.querySelector('canvas[data-chart="report-abandon"]');
    if (overview) {
      draw(overview, { type: "bar", data: { labels: names, datasets: [
        { label: "abandon rate", data: data.rows.map(function (r) { return +(r.abandonRate * 100).toFixed(2); }),
          backgroundColor: data.rows.map(function (r) { return r.overAbandonCap ? COLOURS.cap : COLOURS.abandon; }) },
        { type: "line", label: "cap", data: data.rows.map(function (r) { return +(r.cap * 100).toFixed(2); }), borderColor: COLOURS.cap,
          backgroundColor: COLOURS.cap, pointStyle: "line", pointRadius: 18, pointHoverRadius: 18, pointBorderWidth: 3, showLine: false }
      ] }, options: { animation: false, responsive: true, maintainAspectRatio: false, indexAxis: "x",
        scales: { y: { beginAtZero: true, ticks: { callback: percent } } },
        plugins: { legend: { display: true, labels: { usePointStyle: true } } } } });
    }
    root.querySelectorAll('canvas[data-chart="report-outcomes"]').forEach(function (canvas) {
      var r = data.rows[+canvas.getAttribute("data-index")];
      draw(canvas, { type: "bar", data: { labels: ["answered, kept", "abandoned", "not answered"], datasets: [
        { label: "calls", data: [r.answered - r.abandoned, r.abandoned, r.totalCalls - r.answered],
          backgroundColor: [COLOURS.answer, COLOURS.abandon, "#8c959f"] }
      ] }, options: { animation: false, responsive: true, maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } } } });
    });
    root.querySelectorAll('canvas[data-chart="report-rates"]').forEach(function (canvas) {
      var r = data.rows[+canvas.getAttribute("data-index")];
      draw(canvas, { type: "bar", data: { labels: ["connect rate", "abandon rate", "abandon cap"], datasets: [
        { label: "rate", data: [r.connectRate, r.abandonRate, r.cap].map(function (v) { return +(v * 100).toFixed(2); }),
          backgroundColor: [COLOURS.answer, r.overAbandonCap ? COLOURS.cap : COLOURS.abandon, "#ffffff"], borderColor: [COLOURS.answer, COLOURS.abandon, COLOURS.cap],
          borderWidth: [0, 0, 2], borderDash: [6, 4] }
      ] }, options: { animation: false, responsive: true, maintainAspectRatio: false, indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { callback: percent } } }, plugins: { legend: { display: false } } } });
    });
  }

  function enhance(root) {
    localTimes(root);
    if (!window.Chart) { return; }
    var history = root.querySelector("#history-data");
    if (history) { historyCharts(root, JSON.parse(history.textContent)); }
    var report = root.querySelector("#report-data");
    if (report) { reportCharts(root, JSON.parse(report.textContent)); }
  }

  function busy(main) {
    var active = document.activeElement;
    if (active && main.contains(active) && /^(INPUT|TEXTAREA|SELECT|BUTTON|SUMMARY)$/.test(active.tagName)) { return true; }
    return Array.prototype.some.call(main.querySelectorAll("input:not([type=hidden])"), function (el) { return el.value; });
  }

  function refresh(seconds) {
    var stamp = document.querySelector("[data-refreshed]");
    setInterval(function () {
      var main = document.getElementById("main");
      if (!main || busy(main) || document.hidden) { return; }
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
        if (!response.ok || response.redirected) { return null; }
        return response.text();
      }).then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("main");
        if (!fresh || busy(main)) { return; }
        var open = Array.prototype.map.call(main.querySelectorAll("details[open] summary"), function (s) { return s.textContent; });
        charts.forEach(function (chart) { chart.destroy(); });
        charts = [];
        main.replaceChildren.apply(main, Array.prototype.slice.call(fresh.childNodes));
        main.querySelectorAll("details summary").forEach(function (s) { if (open.indexOf(s.textContent) >= 0) { s.parentNode.open = true; } });
        enhance(main);
        if (stamp) { stamp.textContent = "Updated " + full.format(new Date()) + "."; }
      }).catch(function () { /* the next round tries again */ });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    var seconds = +(document.body.getAttribute("data-refresh") || 0);
    if (seconds > 0 && window.fetch) { refresh(seconds); }
  });
})();
