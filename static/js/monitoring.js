// Server monitoring page: Chart.js charts fed by the JSON endpoint in data-url.
// The charts and their series come from the page (#monitoring-series, written by the server
// from monitoring/metrics.py); range buttons change the range; charts refresh every
// data-refresh seconds without a reload.
(function () {
  "use strict";

  var COLORS = ["#2563eb", "#f97316", "#16a34a"];
  var UNITS = ["B/s", "KB/s", "MB/s", "GB/s"];
  var FEW_POINTS = 20;  // up to this many points per series, points are drawn as dots too
  var MINUTE = 60e3, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
  // Time-axis steps, finest first: the first giving at most MAX_TICKS ticks is used.
  var STEPS = [5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR,
               6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];
  var MAX_TICKS = 8;
  // The reader's locale, always on a 24-hour clock.
  var TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var DATE = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
  var FULL = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" });

  function formatBytes(value) {
    var i = 0;
    while (Math.abs(value) >= 1024 && i < UNITS.length - 1) { value /= 1024; i += 1; }
    return (Math.round(value * 10) / 10) + " " + UNITS[i];
  }

  var AXES = {
    pct: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + " %"; } } },
    bytes: { beginAtZero: true, ticks: { callback: formatBytes } },
    load: { beginAtZero: true, grid: { drawOnChartArea: false } }
  };

  // Tick positions on whole local steps (whole hours, local midnights) between min and max.
  function tickValues(min, max) {
    var step = STEPS.find(function (s) { return (max - min) / s <= MAX_TICKS; }) || STEPS[STEPS.length - 1];
    var offset = new Date(min).getTimezoneOffset() * MINUTE;  // local wall clock = ms - offset
    var values = [];
    for (var t = Math.ceil((min - offset) / step) * step + offset; t <= max; t += step) values.push(t);
    return { step: step, values: values };
  }

  // One label per tick, never the same twice: times within a day, dates at midnight or for
  // steps of a day and more, date and time when a time would repeat.
  function tickLabels(ticks) {
    var seen = {};
    return ticks.values.map(function (t) {
      var d = new Date(t);
      var midnight = d.getHours() === 0 && d.getMinutes() === 0;
      var label = ticks.step >= DAY || midnight ? DATE.format(d) : TIME.format(d);
      if (seen[label]) label = DATE.format(d) + " " + TIME.format(d);
      seen[label] = true;
      return label;
    });
  }

  function timeAxis() {
    return {
      type: "linear",
      ticks: { autoSkip: false, maxRotation: 0, callback: function (value, index, ticks) { return ticks[index].label; } },
      afterBuildTicks: function (scale) {
        var ticks = tickValues(scale.min, scale.max), labels = tickLabels(ticks);
        scale.ticks = ticks.values.map(function (value, i) { return { value: value, label: labels[i] }; });
      }
    };
  }

  function buildChart(box, series) {
    var scales = { x: timeAxis() }, first = series[0].axis;
    series.forEach(function (s) {
      if (scales[s.axis]) return;
      scales[s.axis] = Object.assign({ position: s.axis === first ? "left" : "right" }, AXES[s.axis]);
    });
    return new window.Chart(box.querySelector("canvas"), {
      type: "line",
      data: { datasets: series.map(function (s, i) {
        return { label: s.label, data: [], yAxisID: s.axis, borderColor: COLORS[i], backgroundColor: COLORS[i],
                 pointRadius: 0, borderWidth: 1.5, spanGaps: false };
      }) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
                 interaction: { mode: "index", intersect: false }, scales: scales,
                 plugins: { tooltip: { callbacks: { title: function (items) {
                   return items.length ? FULL.format(new Date(items[0].parsed.x)) : "";
                 } } } } }
    });
  }

  function init(root) {
    // seq numbers the requests: only the latest one is drawn (a range click during a refresh
    // must not be ignored, and a slower earlier answer must not overwrite it).
    var state = { range: root.getAttribute("data-range") || "24h", charts: {}, timer: null, seq: 0 };
    var message = root.querySelector("[data-role=message]");
    var resolution = root.querySelector("[data-role=resolution]");
    var refresh = Math.max(10, parseInt(root.getAttribute("data-refresh"), 10) || 30) * 1000;
    var described = JSON.parse(document.getElementById("monitoring-series").textContent);
    var series = {};
    described.forEach(function (chart) { series[chart.key] = chart.series; });

    root.querySelectorAll("[data-chart]").forEach(function (box) {
      var name = box.getAttribute("data-chart");
      if (window.Chart) state.charts[name] = buildChart(box, series[name]);
    });

    function showMessage(text) {
      message.textContent = text || "";
      message.hidden = !text;
    }

    function render(data) {
      var s = data.series, empty = s.t.length === 0;
      resolution.textContent = data.resolution + " data, " + data.bucket_seconds + " s per point, " + s.t.length + (s.t.length === 1 ? " point" : " points");
      if (empty) showMessage("No data for this range yet." + (data.last_report ? "" : " No agent has reported for this server: use “Enrol agent”."));
      else if (!data.online) showMessage("The agent is offline: its last report was " + FULL.format(new Date(data.last_report)) + ".");
      else showMessage("");
      Object.keys(state.charts).forEach(function (name) {
        var chart = state.charts[name];
        chart.options.scales.x.min = data.start;
        chart.options.scales.x.max = data.end;
        series[name].forEach(function (one, i) {
          var dataset = chart.data.datasets[i], values = s[one.key];
          dataset.data = s.t.map(function (t, j) { return { x: t, y: values[j] }; });
          dataset.pointRadius = s.t.length <= FEW_POINTS ? 3 : 0;  // a lone point has no line
        });
        chart.update();
      });
      root.querySelectorAll(".chart-box").forEach(function (box) { box.classList.remove("skeleton"); });
    }

    function load(showSkeleton) {
      var seq = ++state.seq;
      if (showSkeleton) root.querySelectorAll(".chart-box").forEach(function (box) { box.classList.add("skeleton"); });
      fetch(root.getAttribute("data-url") + "?range=" + encodeURIComponent(state.range), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) { if (seq === state.seq) render(data); })
        .catch(function () { if (seq === state.seq) showMessage("Could not load the metrics; retrying shortly."); });
    }

    root.querySelectorAll("button[data-range]").forEach(function (button) {
      button.addEventListener("click", function () {
        state.range = button.getAttribute("data-range");
        root.querySelectorAll("button[data-range]").forEach(function (b) {
          var active = b === button;
          b.classList.toggle("btn-primary", active);
          b.setAttribute("aria-pressed", active ? "true" : "false");
        });
        load(true);
      });
    });
    load(true);
    state.timer = setInterval(function () { if (!document.hidden) load(false); }, refresh);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("monitoring-charts");
    if (root) init(root);
  });
})();
