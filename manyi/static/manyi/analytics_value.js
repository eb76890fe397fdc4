/* Manyi: the chart of the customer value page, drawn with ECharts (vendor/echarts.min.js) from
   {{ chart|json_script:"value-charts" }}: customers by probability alive, in ten buckets
   (data-chart="value-p-alive"). */
(function () {
  "use strict";

  var source = document.getElementById("value-charts");
  var node = document.querySelector('[data-chart="value-p-alive"]');
  if (!source || !node || typeof echarts === "undefined") return;
  var data;
  try {
    data = JSON.parse(source.textContent);
  } catch (e) {
    return;
  }
  var t = data.texts || {};
  var chart = echarts.init(node, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    grid: { left: 56, right: 24, top: 32, bottom: 48 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.buckets, name: t.p_alive, nameLocation: "middle",
      nameGap: 30 },
    yAxis: { type: "value", name: t.customers, minInterval: 1 },
    series: [{ name: t.customers, type: "bar", color: "#2f5bea", data: data.counts }]
  });
  node.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
