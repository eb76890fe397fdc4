/* Manyi: the charts of the analytics pages, drawn with ECharts (vendor/echarts.min.js) from
   {{ chart|json_script:"analytics-charts" }}: the three controls' monthly trend
   (data-chart="controls-trend"), the Pareto of switching reasons (data-chart="lost-pareto") and
   the recovery cost by action kind (data-chart="recovery-kinds"). */
(function () {
  "use strict";

  var c = window.manyiCharts && window.manyiCharts("analytics-charts");
  if (!c) return;
  var data = c.data, t = c.texts, draw = c.draw;
  var BLUE = "#2f5bea", RED = "#c02a2a", AMBER = "#9a6300";

  if (data.months) {
    draw("controls-trend", {
      grid: { left: 48, right: 24, top: 40, bottom: 36 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: function (v) {
        return v === null || v === undefined ? "—" : Number(v).toFixed(2);
      } },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: t.complaint, type: "line", color: RED, connectNulls: false, data: data.complaint },
        { name: t.omission, type: "line", color: AMBER, connectNulls: false, data: data.omission },
        { name: t.dissatisfaction, type: "line", color: BLUE, connectNulls: false,
          data: data.dissatisfaction }
      ]
    });
  }

  if (data.labels) {
    draw("lost-pareto", {
      grid: { left: 48, right: 56, top: 40, bottom: 60 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 20 } },
      yAxis: [
        { type: "value", name: t.count, minInterval: 1 },
        { type: "value", name: t.cumulative, min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
      ],
      series: [
        { name: t.count, type: "bar", color: BLUE, data: data.counts },
        { name: t.cumulative, type: "line", yAxisIndex: 1, color: RED, data: data.cumulative }
      ]
    });
  }

  if (data.kinds) {
    draw("recovery-kinds", {
      grid: { left: 64, right: 24, top: 24, bottom: 60 },
      tooltip: { trigger: "axis", valueFormatter: function (v) {
        return "¥" + Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
      } },
      xAxis: { type: "category", data: data.kinds, axisLabel: { interval: 0, rotate: 20 } },
      yAxis: { type: "value", name: t.cost, min: 0 },
      series: [{ name: t.cost, type: "bar", color: BLUE, data: data.cost }]
    });
  }

})();
