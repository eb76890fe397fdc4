/* Manyi: the charts of a survey's results page, drawn with ECharts (vendor/echarts.min.js).
   Data and texts come from the page: {{ charts|json_script:"results-charts" }}; each chart is
   drawn into the element with the matching data-chart attribute, when the page has one. */
(function () {
  "use strict";

  var c = window.manyiCharts && window.manyiCharts("results-charts");
  if (!c) return;
  var data = c.data, draw = c.draw, esc = c.esc, fmt = c.fmt;
  var t = data.texts || {};
  var BLUE = "#2f5bea", BLUE_SOFT = "rgba(47, 91, 234, 0.15)", RED = "#c02a2a";
  var GREEN = "#16794c", AMBER = "#9a6300", GREY = "#6b7383";
  var QUADRANT_COLOURS = {
    "concentrate here": RED,
    "keep up the good work": GREEN,
    "low priority": GREY,
    "possible overkill": AMBER
  };
  var KANO_COLOURS = { A: GREEN, O: BLUE, M: RED, I: GREY, R: AMBER, Q: AMBER };
  function el(name) {
    return document.querySelector('[data-chart="' + name + '"]');
  }

  function shorten(text, size) {
    text = String(text || "");
    return text.length > size ? text.slice(0, size - 1) + "…" : text;
  }

  // Tooltips are HTML: every text from the data (question texts written by an admin) goes
  // through esc (chart_base.js).

  // --- NPS by month with its 95 % band -----------------------------------------------------
  function npsMonths(rows) {
    var months = rows.map(function (r) { return r.month; });
    draw("nps-months", {
      grid: { left: 48, right: 24, top: 24, bottom: 36 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var r = rows[items[0].dataIndex];
          return esc(r.month) + "<br>" + t.nps + ": " + fmt(r.nps, 1) + "<br>" + t.ci + ": [" +
            fmt(r.low, 1) + ", " + fmt(r.high, 1) + "]<br>" + t.n + " = " + r.n +
            (r.lowN ? "<br>" + t.lowN : "");
        }
      },
      xAxis: { type: "category", data: months, boundaryGap: false },
      yAxis: { type: "value", min: -100, max: 100, name: t.nps },
      series: [
        { name: "low", type: "line", stack: "ci", stackStrategy: "all", symbol: "none",
          lineStyle: { opacity: 0 }, data: rows.map(function (r) { return r.low; }) },
        { name: t.ci, type: "line", stack: "ci", stackStrategy: "all", symbol: "none",
          lineStyle: { opacity: 0 }, areaStyle: { color: BLUE_SOFT },
          data: rows.map(function (r) {
            return r.low === null || r.high === null ? null : r.high - r.low;
          }) },
        { name: t.nps, type: "line", color: BLUE, symbolSize: 8,
          data: rows.map(function (r) {
            return { value: r.nps, symbol: r.lowN ? "emptyCircle" : "circle" };
          }) }
      ]
    });
  }

  // --- key drivers: relative weight (%) with bootstrap whiskers -----------------------------
  function errorBars(color) {
    return function (params, api) {
      var y = api.value(0);
      var lo = api.coord([api.value(1), y]);
      var hi = api.coord([api.value(2), y]);
      var h = api.size([0, 1])[1] * 0.35;
      var style = { stroke: color, lineWidth: 1.5 };
      return {
        type: "group",
        children: [
          { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
          { type: "line", shape: { x1: lo[0], y1: lo[1] - h / 2, x2: lo[0], y2: lo[1] + h / 2 },
            style: style },
          { type: "line", shape: { x1: hi[0], y1: hi[1] - h / 2, x2: hi[0], y2: hi[1] + h / 2 },
            style: style }
        ]
      };
    };
  }

  function drivers(d) {
    var items = d.items;
    draw("drivers", {
      grid: { left: 8, right: 40, top: 16, bottom: 40, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (p) {
          var r = items[p[0].dataIndex];
          return esc(r.label) + "<br>" + fmt(r.percent, 1) + "% " + t.ci + " [" + fmt(r.low, 1) +
            ", " + fmt(r.high, 1) + "]";
        }
      },
      xAxis: { type: "value", name: t.share, nameLocation: "middle", nameGap: 26, min: 0 },
      yAxis: {
        type: "category",
        data: items.map(function (r) { return shorten(r.label, 16); }),
        axisLabel: { width: 170, overflow: "truncate" }
      },
      series: [
        { type: "bar", color: BLUE, barMaxWidth: 22,
          data: items.map(function (r) { return r.percent; }) },
        { type: "custom", renderItem: errorBars("#1d2330"), z: 10,
          encode: { x: [1, 2], y: 0 },
          data: items.filter(function (r) { return r.low !== null && r.high !== null; })
            .map(function (r) { return [items.indexOf(r), r.low, r.high]; }) }
      ]
    });

    // Importance–performance quadrants (Martilla & James 1977), split at the means.
    var ipa = t.ipa || {};
    draw("quadrant", {
      grid: { left: 56, right: 24, top: 30, bottom: 48 },
      tooltip: {
        formatter: function (p) {
          var r = items[p.dataIndex];
          return esc(r.label) + "<br>" + t.importance + ": " + fmt(r.percent, 1) + "%<br>" +
            t.performance + ": " + fmt(r.performance, 2) + "<br>" + (ipa[r.quadrant] || "");
        }
      },
      xAxis: { type: "value", name: t.performance, nameLocation: "middle", nameGap: 28,
        scale: true },
      yAxis: { type: "value", name: t.importance, nameLocation: "middle", nameGap: 40,
        min: 0 },
      graphic: [
        { type: "text", left: 64, top: 34, style: { text: ipa["concentrate here"] || "",
          fill: RED, font: "12px sans-serif" } },
        { type: "text", right: 30, top: 34, style: { text: ipa["keep up the good work"] || "",
          fill: GREEN, font: "12px sans-serif" } },
        { type: "text", left: 64, bottom: 56, style: { text: ipa["low priority"] || "",
          fill: GREY, font: "12px sans-serif" } },
        { type: "text", right: 30, bottom: 56, style: { text: ipa["possible overkill"] || "",
          fill: AMBER, font: "12px sans-serif" } }
      ],
      series: [{
        type: "scatter",
        symbolSize: 11,
        data: items.map(function (r) {
          return { value: [r.performance, r.percent], name: r.label,
            itemStyle: { color: QUADRANT_COLOURS[r.quadrant] || BLUE } };
        }),
        label: { show: true, position: "right", fontSize: 11, color: "#1d2330",
          formatter: function (p) { return shorten(p.name, 8); } },
        markLine: {
          silent: true, symbol: "none", lineStyle: { type: "dashed", color: GREY },
          label: { show: false },
          data: [{ xAxis: d.performanceSplit }, { yAxis: d.importanceSplit }]
        }
      }]
    });
  }

  // --- Kano: Better against |Worse|, quadrants A / O / M / I ----------------------------------
  function quadrantArea(x0, y0, x1, y1, text, colour, position) {
    return [
      { coord: [x0, y0], itemStyle: { color: "rgba(0, 0, 0, 0)" },
        label: { show: true, position: position, color: colour, fontWeight: "bold",
          fontSize: 13, formatter: text } },
      { coord: [x1, y1] }
    ];
  }

  function kano(rows) {
    var q = t.quadrants || {};
    draw("kano", {
      grid: { left: 56, right: 30, top: 30, bottom: 48 },
      tooltip: {
        formatter: function (p) {
          var r = rows[p.dataIndex];
          return esc(r.number) + ". " + esc(r.label) + "<br>" + t.better + ": " +
            fmt(r.better, 2) + "<br>" + t.worse + ": " + fmt(r.worse, 2) + "<br>" +
            esc(r.category) + " · " + t.n + " = " + r.n + (r.lowN ? "<br>" + t.lowN : "");
        }
      },
      xAxis: { type: "value", min: 0, max: 1, name: t.worse, nameLocation: "middle",
        nameGap: 28 },
      yAxis: { type: "value", min: 0, max: 1, name: t.better, nameLocation: "middle",
        nameGap: 36 },
      series: [{
        type: "scatter",
        symbolSize: 14,
        data: rows.map(function (r) {
          return { value: [r.worse, r.better], name: String(r.number),
            itemStyle: { color: KANO_COLOURS[r.category] || BLUE, opacity: r.lowN ? 0.4 : 1 } };
        }),
        label: { show: true, position: "right", formatter: "{b}", fontWeight: "bold" },
        markLine: {
          silent: true, symbol: "none", lineStyle: { type: "dashed", color: GREY },
          label: { show: false }, data: [{ xAxis: 0.5 }, { yAxis: 0.5 }]
        },
        // The four quadrants of the Better–Worse diagram, labelled in their corners.
        markArea: {
          silent: true,
          data: [
            quadrantArea(0, 0.5, 0.5, 1, "A · " + (q.A || ""), GREEN, "insideTopLeft"),
            quadrantArea(0.5, 0.5, 1, 1, "O · " + (q.O || ""), BLUE, "insideTopRight"),
            quadrantArea(0.5, 0, 1, 0.5, "M · " + (q.M || ""), RED, "insideBottomRight"),
            quadrantArea(0, 0, 0.5, 0.5, "I · " + (q.I || ""), GREY, "insideBottomLeft")
          ]
        }
      }]
    });
  }

  // --- SERVQUAL: gap per dimension --------------------------------------------------------------
  function servqual(rows) {
    draw("servqual", {
      grid: { left: 8, right: 24, top: 20, bottom: 30, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (p) {
          var r = rows[p[0].dataIndex];
          return esc(r.label) + "<br>" + t.gap + ": " + fmt(r.gap, 2) + "<br>" + t.n + " = " + r.n;
        }
      },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
        axisLabel: { interval: 0 } },
      yAxis: { type: "value" },
      series: [{
        type: "bar",
        barMaxWidth: 40,
        data: rows.map(function (r) {
          var negative = r.gap !== null && r.gap < 0;
          return { value: r.gap, itemStyle: { color: negative ? RED : GREEN,
            opacity: r.lowN ? 0.4 : 1 }, label: { position: negative ? "bottom" : "top" } };
        }),
        label: { show: true, formatter: function (p) { return fmt(p.value, 2); } }
      }]
    });
  }

  if (data.npsMonths) npsMonths(data.npsMonths);
  if (data.drivers) drivers(data.drivers);
  if (data.kano) kano(data.kano);
  if (data.servqual) servqual(data.servqual);

})();
