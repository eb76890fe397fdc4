/* Manyi: the charts of the return-after-complaints page, drawn with ECharts
   (vendor/echarts.min.js) from {{ chart|json_script:"analytics-charts" }}: the share of
   customers who came back within 12 months per group, as bars with their 95 % Wilson interval
   as whiskers — the TARP table (data-chart="returns-tarp"), the recovery paradox check
   (data-chart="returns-paradox") and overall recovery fairness (data-chart="returns-fairness"). */
(function () {
  "use strict";

  var c = window.manyiCharts && window.manyiCharts("analytics-charts");
  if (!c) return;
  var data = c.data, t = c.texts, esc = c.esc;
  var BLUE = "#2f5bea", GREY = "#9aa3b2", INK = "#333";
  var MIN_N = 30;

  function fmt(value) {
    return c.fmt(value, 1, "%");
  }

  function draw(name, series) {
    if (!series || !series.labels || !series.labels.length) return;
    var bars = series.rates.map(function (v, i) {
      return {
        value: v,
        itemStyle: { color: series.ns[i] < MIN_N ? GREY : BLUE }
      };
    });
    var whiskers = series.labels.map(function (label, i) {
      return [i, series.lows[i], series.highs[i]];
    });
    c.draw(name, {
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
  }

  draw("returns-tarp", data.tarp);
  draw("returns-paradox", data.paradox);
  draw("returns-fairness", data.fairness);

})();
