/* Manyi: the control chart of an early-warning alert (data-chart="alert-chart"), drawn with
   ECharts (vendor/echarts.min.js) from {{ chart|json_script:"alert-chart-data" }}: the charted
   value per period (the rate for a u-chart, the EWMA, or the CUSUM's upper sum), the centre
   line, the upper control limit, the out-of-control points in red and the watched periods
   shaded. Texts from the data are escaped before they go into a tooltip. */
(function () {
  "use strict";

  var source = document.getElementById("alert-chart-data");
  var node = document.querySelector('[data-chart="alert-chart"]');
  if (!source || !node || typeof echarts === "undefined") return;
  var data;
  try {
    data = JSON.parse(source.textContent);
  } catch (e) {
    return;
  }
  var t = data.texts || {};
  var BLUE = "#2f5bea", RED = "#c02a2a", GREY = "#6b7280";

  function esc(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function fmt(v) {
    return v === null || v === undefined ? "—" : Number(v).toFixed(2);
  }

  var periods = data.periods || [];
  var values = data.value || [];
  var centre = periods.map(function () { return data.cusum ? 0 : data.centre; });
  var signals = values.map(function (v, i) {
    return data.alerting && data.alerting[i] ? v : null;
  });
  var watched = periods.length && data.watch_from < periods.length
    ? [[{ xAxis: periods[data.watch_from] }, { xAxis: periods[periods.length - 1] }]]
    : [];

  var chart = echarts.init(node, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    grid: { left: 56, right: 24, top: 40, bottom: 40 },
    legend: { top: 0 },
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        if (!items.length) return "";
        var lines = [esc(items[0].axisValue)];
        items.forEach(function (it) {
          lines.push(esc(it.seriesName) + ": " + fmt(it.value));
        });
        return lines.join("<br>");
      }
    },
    xAxis: { type: "category", data: periods },
    yAxis: { type: "value", min: data.cusum ? null : 0 },
    series: [
      { name: t.value, type: "line", color: BLUE, symbolSize: 6, connectNulls: false,
        data: values, markArea: { silent: true, itemStyle: { color: "rgba(47, 91, 234, 0.06)" },
        label: { show: true, position: "insideTop", color: GREY, formatter: esc(t.watched) },
        data: watched } },
      { name: t.centre, type: "line", color: GREY, symbol: "none", lineStyle: { type: "dashed" },
        data: centre },
      { name: t.ucl, type: "line", color: RED, symbol: "none", step: "middle", data: data.ucl || [] },
      { name: t.signal, type: "scatter", color: RED, symbolSize: 12, z: 5, data: signals }
    ]
  });
  node.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
