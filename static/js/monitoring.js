// Server monitoring page: four Chart.js charts fed by the JSON endpoint in data-url.
// Range buttons change the range; charts refresh every data-refresh seconds without reload.
(function () {
  "use strict";

  // Each series: [key in the JSON, label, axis]. "pct" axes run 0–100 %, "bytes" axes are
  // per-second byte rates, "load" is the load average (right-hand axis).
  var CHARTS = {
    cpu: [["cpu_percent", "CPU %", "pct"], ["load1", "Load (1 min)", "load"]],
    memory: [["mem_percent", "Memory used %", "pct"], ["swap_percent", "Swap used %", "pct"]],
    disk: [["disk_read_bps", "Read", "bytes"], ["disk_write_bps", "Write", "bytes"],
           ["disk_percent", "Fullest filesystem %", "pct"]],
    network: [["net_rx_bps", "Received", "bytes"], ["net_tx_bps", "Sent", "bytes"]]
  };
  var COLORS = ["#2563eb", "#f97316", "#16a34a"];
  var UNITS = ["B/s", "KB/s", "MB/s", "GB/s"];
  var FEW_POINTS = 20;  // up to this many points per series, points are drawn as dots too

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

  function timeLabel(ms, range) {
    var d = new Date(ms);
    if (range === "1h" || range === "24h") return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + d.toLocaleTimeString([], { hour: "2-digit" });
  }

  function buildChart(box, series) {
    var scales = {}, first = series[0][2];
    series.forEach(function (s) {
      if (scales[s[2]]) return;
      scales[s[2]] = Object.assign({ position: s[2] === first ? "left" : "right" }, AXES[s[2]]);
    });
    return new window.Chart(box.querySelector("canvas"), {
      type: "line",
      data: { labels: [], datasets: series.map(function (s, i) {
        return { label: s[1], data: [], yAxisID: s[2], borderColor: COLORS[i], backgroundColor: COLORS[i],
                 pointRadius: 0, borderWidth: 1.5, spanGaps: false };
      }) },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 interaction: { mode: "index", intersect: false }, scales: scales }
    });
  }

  function init(root) {
    // seq numbers the requests: only the latest one is drawn (a range click during a refresh
    // must not be ignored, and a slower earlier answer must not overwrite it).
    var state = { range: root.getAttribute("data-range") || "24h", charts: {}, timer: null, seq: 0 };
    var message = root.querySelector("[data-role=message]");
    var resolution = root.querySelector("[data-role=resolution]");
    var refresh = Math.max(10, parseInt(root.getAttribute("data-refresh"), 10) || 30) * 1000;

    root.querySelectorAll("[data-chart]").forEach(function (box) {
      var name = box.getAttribute("data-chart");
      if (window.Chart) state.charts[name] = buildChart(box, CHARTS[name]);
    });

    function showMessage(text) {
      message.textContent = text || "";
      message.hidden = !text;
    }

    function render(data) {
      var s = data.series, empty = s.t.length === 0;
      resolution.textContent = data.resolution + " data, " + data.bucket_seconds + " s per point, " + s.t.length + (s.t.length === 1 ? " point" : " points");
      if (empty) showMessage("No data for this range yet." + (data.last_report ? "" : " No agent has reported for this server: use “Enrol agent”."));
      else if (!data.online) showMessage("The agent is offline: its last report was " + new Date(data.last_report).toLocaleString() + ".");
      else showMessage("");
      Object.keys(state.charts).forEach(function (name) {
        var chart = state.charts[name];
        chart.data.labels = s.t.map(function (ms) { return timeLabel(ms, data.range); });
        CHARTS[name].forEach(function (pair, i) {
          var dataset = chart.data.datasets[i];
          dataset.data = s[pair[0]];
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
