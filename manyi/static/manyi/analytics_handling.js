/* Manyi: the charts of the SLA and handling page (/analytics/handling/), drawn with ECharts
   (vendor/echarts.min.js) from {{ chart|json_script:"handling-charts" }}: attainment per SLA
   metric with its 95 % interval (data-chart="handling-attainment"), the distributions of the
   time to first response and to resolution in business and wall-clock time
   (data-chart="handling-times-<metric>") and the backlog by age (data-chart="handling-backlog"). */
(function () {
  "use strict";

  var c = window.manyiCharts && window.manyiCharts("handling-charts");
  if (!c) return;
  var data = c.data, t = c.texts, draw = c.draw, esc = c.esc, fmt = c.fmt;
  var BLUE = "#2f5bea", GREY = "#8a94a6", AMBER = "#9a6300";


  var a = data.attainment;
  if (a) {
    draw("handling-attainment", {
      grid: { left: 48, right: 24, top: 24, bottom: 36 },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var i = params[0].dataIndex;
          return esc(a.labels[i]) + "<br>" + esc(t.attainment) + ": " + fmt(a.rates[i], 1) +
            " (" + fmt(a.low[i], 1) + "–" + fmt(a.high[i], 1) + ")";
        }
      },
      xAxis: { type: "category", data: a.labels },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t.attainment, type: "bar", color: BLUE, data: a.rates },
        { type: "custom", silent: true, data: a.labels.map(function (_l, i) {
            return [i, a.low[i], a.high[i]];
          }),
          renderItem: function (params, api) {
            if (api.value(1) === null || isNaN(api.value(1))) return null;
            var low = api.coord([api.value(0), api.value(1)]);
            var high = api.coord([api.value(0), api.value(2)]);
            var w = 8;
            var style = { stroke: "#222", lineWidth: 1.2 };
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
              { type: "line", shape: { x1: low[0] - w, y1: low[1], x2: low[0] + w, y2: low[1] }, style: style },
              { type: "line", shape: { x1: high[0] - w, y1: high[1], x2: high[0] + w, y2: high[1] }, style: style }
            ] };
          } }
      ]
    });
  }

  (data.times || []).forEach(function (m) {
    draw("handling-times-" + m.metric, {
      title: { text: m.label, left: "center", textStyle: { fontSize: 13 } },
      grid: { left: 48, right: 24, top: 56, bottom: 36 },
      legend: { top: 22 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.buckets },
      yAxis: { type: "value", name: t.cases, minInterval: 1 },
      series: [
        { name: t.business, type: "bar", color: BLUE, data: m.business },
        { name: t.wall, type: "bar", color: GREY, data: m.wall }
      ]
    });
  });

  if (data.backlog) {
    draw("handling-backlog", {
      grid: { left: 48, right: 24, top: 24, bottom: 36 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.backlog.labels },
      yAxis: { type: "value", name: t.open, minInterval: 1 },
      series: [{ name: t.open, type: "bar", color: AMBER, data: data.backlog.counts }]
    });
  }

})();
