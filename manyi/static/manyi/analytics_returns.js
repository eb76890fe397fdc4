/* Manyi: the charts of the return-after-complaints page, drawn with ECharts
   (vendor/echarts.min.js) from {{ chart|json_script:"analytics-charts" }}: the share of
   customers who came back within 12 months per group, as bars with their 95 % Wilson interval
   as whiskers — the TARP table (data-chart="returns-tarp"), the recovery paradox check
   (data-chart="returns-paradox") and overall recovery fairness (data-chart="returns-fairness"). */
(function () {
  "use strict";

  var source = document.getElementById("analytics-charts");
  if (!source || typeof echarts === "undefined") return;
  var data;
  try {
    data = JSON.parse(source.textContent);
  } catch (e) {
    return;
  }
  var t = data.texts || {};
  var BLUE = "#2f5bea", GREY = "#9aa3b2", INK = "#333";
  var MIN_N = 30;
  var charts = [];

  function esc(text) {
    return echarts.format.encodeHTML(String(text === null || text === undefined ? "" : text));
  }

  function fmt(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(1) + "%";
  }

  function draw(name, series) {
    var node = document.querySelector('[data-chart="' + name + '"]');
    if (!node || !series || !series.labels || !series.labels.length) return;
    var chart = echarts.init(node, null, { renderer: "canvas" });
    var bars = series.rates.map(function (v, i) {
      return {
        value: v,
        itemStyle: { color: series.ns[i] < MIN_N ? GREY : BLUE }
      };
    });
    var whiskers = series.labels.map(function (label, i) {
      return [i, series.lows[i], series.highs[i]];
    });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 56, right: 24, top: 24, bottom: 48 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var i = items[0].dataIndex;
          return esc(series.labels[i]) + "<br>" + esc(t.rate) + ": " + esc(fmt(series.rates[i])) +
            "<br>" + esc(t.interval) + ": " + esc(fmt(series.lows[i])) + " – " +
            esc(fmt(series.highs[i])) + "<br>n = " + esc(series.ns[i]) + " " + esc(t.n);
        }
      },
      xAxis: { type: "category", data: series.labels, axisLabel: { interval: 0 } },
      yAxis: { type: "value", name: t.rate, min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t.rate, type: "bar", barMaxWidth: 56, data: bars },
        {
          name: t.interval,
          type: "custom",
          data: whiskers,
          z: 10,
          renderItem: function (params, api) {
            if (api.value(1) === null || isNaN(api.value(1))) return null;
            var low = api.coord([api.value(0), api.value(1)]);
            var high = api.coord([api.value(0), api.value(2)]);
            var half = api.size([1, 0])[0] * 0.12;
            var style = { stroke: INK, lineWidth: 1.5 };
            return {
              type: "group",
              children: [
                { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
                { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: style },
                { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: style }
              ]
            };
          }
        }
      ]
    });
    node.setAttribute("data-rendered", "1");
    charts.push(chart);
  }

  draw("returns-tarp", data.tarp);
  draw("returns-paradox", data.paradox);
  draw("returns-fairness", data.fairness);

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
