/* Manyi: the control chart of an early-warning alert (data-chart="alert-chart"), drawn with
   ECharts (vendor/echarts.min.js) from {{ chart|json_script:"alert-chart-data" }}: the charted
   value per period (the rate for a u-chart, the EWMA, or the CUSUM's upper sum), the centre
   line, the upper control limit, the out-of-control points in red and the watched periods
   shaded. Texts from the data are escaped before they go into a tooltip (chart_base.js). */
(function () {
  "use strict";

  var c = window.manyiCharts && window.manyiCharts("alert-chart-data");
  if (!c) return;
  var data = c.data, t = c.texts, esc = c.esc;
  var BLUE = "#2f5bea", RED = "#c02a2a", GREY = "#6b7280";

  function fmt(v) {
    return c.fmt(v, 2);
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

  c.draw("alert-chart", {
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
        label: { show: true, position: "insideTop", color: GREY, formatter: String(t.watched || "") },
        data: watched } },
      { name: t.centre, type: "line", color: GREY, symbol: "none", lineStyle: { type: "dashed" },
        data: centre },
      { name: t.ucl, type: "line", color: RED, symbol: "none", step: "middle", data: data.ucl || [] },
      { name: t.signal, type: "scatter", color: RED, symbolSize: 12, z: 5, data: signals }
    ]
  });
})();
