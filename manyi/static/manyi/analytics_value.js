/* Manyi: the chart of the customer value page, drawn with ECharts (vendor/echarts.min.js) from
   {{ chart|json_script:"value-charts" }}: customers by probability alive, in ten buckets
   (data-chart="value-p-alive"). */
(function () {
  "use strict";

  var c = window.manyiCharts && window.manyiCharts("value-charts");
  if (!c) return;
  var data = c.data, t = c.texts;
  c.draw("value-p-alive", {
    grid: { left: 56, right: 24, top: 32, bottom: 48 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.buckets, name: t.p_alive, nameLocation: "middle",
      nameGap: 30 },
    yAxis: { type: "value", name: t.customers, minInterval: 1 },
    series: [{ name: t.customers, type: "bar", color: "#2f5bea", data: data.counts }]
  });
})();
