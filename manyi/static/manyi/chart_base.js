/* Manyi: what every page's charts share (analytics, survey results), on top of ECharts (vendor/echarts.min.js).

   manyiCharts(sourceId) reads the page's {{ chart|json_script:sourceId }} block and returns
   { data, texts, draw, esc, fmt }, or null when the page has no such block (or no ECharts):
   - draw(name, option) draws `option` into the element with data-chart="name", when the page
     has one: no animation, the page's font, data-rendered="1" once drawn (the browser tests
     wait for it), resized with the window; returns the chart or null;
   - esc(text) escapes a text from the data before it goes into a tooltip's HTML;
   - fmt(value, digits, suffix) formats a number ("—" for none).
   Load it before the page's own script (both deferred, so in order). */
(function () {
  "use strict";

  var charts = [];
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  function esc(text) {
    return echarts.format.encodeHTML(String(text === null || text === undefined ? "" : text));
  }

  function fmt(value, digits, suffix) {
    if (value === null || value === undefined) return "—";
    return Number(value).toFixed(digits === undefined ? 2 : digits) + (suffix || "");
  }

  function draw(name, option) {
    var node = document.querySelector('[data-chart="' + name + '"]');
    if (!node) return null;
    var chart = echarts.init(node, null, { renderer: "canvas" });
    option.animation = false;
    option.textStyle = { fontFamily: getComputedStyle(document.body).fontFamily };
    chart.setOption(option);
    node.setAttribute("data-rendered", "1");
    charts.push(chart);
    return chart;
  }

  window.manyiCharts = function (sourceId) {
    var source = document.getElementById(sourceId);
    if (!source || typeof echarts === "undefined") return null;
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (e) {
      return null;
    }
    return { data: data, texts: data.texts || {}, draw: draw, esc: esc, fmt: fmt };
  };
})();
