// Jiuzhu's own script: no inline scripts anywhere (the CSP forbids them), so page
// behaviour hangs off data attributes here.
(function () {
  "use strict";

  // Confirm before anything irreversible: <form data-confirm="…">.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  }, true);

  // Print buttons on official forms.
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });

  // The phone menu.
  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-toggle]");
    if (!t) { return; }
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) {
      el.classList.toggle("is-open");
      t.classList.toggle("is-active");
      t.setAttribute("aria-expanded", el.classList.contains("is-open") ? "true" : "false");
    }
  });

  // Exit form: show only the fields of the chosen way out (data-for lists the exits).
  function syncExitFields(form) {
    var kind = form.querySelector("[name=step]").value;
    form.querySelectorAll("[data-for]").forEach(function (el) {
      el.style.display = el.getAttribute("data-for").split(" ").indexOf(kind) >= 0 ? "" : "none";
    });
  }
  document.querySelectorAll("form.exit-form").forEach(function (f) {
    syncExitFields(f);
    f.querySelector("[name=step]").addEventListener("change", function () { syncExitFields(f); });
  });

  // Charts: <div class="chart" data-chart='{"title":…,"rows":[{"name","value","href"}]}'>.
  // Every bar links to the records behind it.
  function drawCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-chart"));
      var chart = window.echarts.init(el);
      chart.setOption({
        animation: false,
        title: { text: spec.title, left: "center", textStyle: { fontSize: 14 } },
        tooltip: {},
        grid: { left: 40, right: 16, bottom: 60, top: 40 },
        xAxis: { type: "category", data: spec.rows.map(function (r) { return r.name; }), axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: spec.rows.map(function (r) { return r.value; }), itemStyle: { color: "#3e8ed0" } }]
      });
      chart.on("click", function (p) { var r = spec.rows[p.dataIndex]; if (r && r.href) { window.location = r.href; } });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  // Deferred scripts run before DOMContentLoaded, so ECharts (loaded after this file) is
  // there by then.
  if (document.readyState === "complete") { drawCharts(); } else { document.addEventListener("DOMContentLoaded", drawCharts); }
})();
