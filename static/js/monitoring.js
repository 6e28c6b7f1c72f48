// Server monitoring page: four Chart.js charts fed by the JSON endpoint in data-url.
// Range buttons change the range; charts refresh every data-refresh seconds without reload.
(function () {
  "use strict";

  var CHARTS = {
    cpu: { unit: "%", max: 100, series: [["cpu_percent", "CPU %"], ["load1", "Load (1 min)"]] },
    memory: { unit: "%", max: 100, series: [["mem_percent", "Memory used %"], ["swap_percent", "Swap used %"]] },
    disk: { unit: "B/s", series: [["disk_read_bps", "Read B/s"], ["disk_write_bps", "Write B/s"], ["disk_percent", "Fullest filesystem %"]] },
    network: { unit: "B/s", series: [["net_rx_bps", "Received B/s"], ["net_tx_bps", "Sent B/s"]] }
  };
  var COLORS = ["#2563eb", "#f97316", "#16a34a"];

  function timeLabel(ms, range) {
    var d = new Date(ms);
    if (range === "1h" || range === "24h") return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + d.toLocaleTimeString([], { hour: "2-digit" });
  }

  function buildChart(box, spec) {
    var canvas = box.querySelector("canvas");
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: [], datasets: spec.series.map(function (s, i) {
        return { label: s[1], data: [], borderColor: COLORS[i], backgroundColor: COLORS[i], pointRadius: 0, borderWidth: 1.5, spanGaps: false };
      }) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
                 scales: { y: { beginAtZero: true } } }
    });
  }

  function init(root) {
    var state = { range: root.getAttribute("data-range") || "24h", charts: {}, timer: null, loading: false };
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
      resolution.textContent = data.resolution + " data, " + data.bucket_seconds + " s per point, " + s.t.length + " points";
      if (empty) showMessage("No data for this range yet." + (data.last_report ? "" : " No agent has reported for this server: use “Enrol agent”."));
      else if (!data.online) showMessage("The agent is offline: its last report was " + new Date(data.last_report).toLocaleString() + ".");
      else showMessage("");
      Object.keys(state.charts).forEach(function (name) {
        var chart = state.charts[name];
        chart.data.labels = s.t.map(function (ms) { return timeLabel(ms, data.range); });
        CHARTS[name].series.forEach(function (pair, i) { chart.data.datasets[i].data = s[pair[0]]; });
        chart.update();
      });
      root.querySelectorAll(".chart-box").forEach(function (box) { box.classList.remove("skeleton"); });
    }

    function load(showSkeleton) {
      if (state.loading) return;
      state.loading = true;
      if (showSkeleton) root.querySelectorAll(".chart-box").forEach(function (box) { box.classList.add("skeleton"); });
      fetch(root.getAttribute("data-url") + "?range=" + encodeURIComponent(state.range), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(render)
        .catch(function () { showMessage("Could not load the metrics; retrying shortly."); })
        .finally(function () { state.loading = false; });
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
