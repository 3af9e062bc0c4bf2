/* Draw each dashboard figure with Chart.js from the data embedded in the page. */
(function () {
  "use strict";
  var node = document.getElementById("charts-data");
  if (!node || !window.Chart) { return; }
  var charts = JSON.parse(node.textContent);
  var palette = ["#1d70b8", "#00703c", "#d4351c", "#f47738", "#4c2c92", "#505a5f"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = charts[canvas.getAttribute("data-chart")];
    if (!spec) { return; }
    var labels = spec.rows.map(function (row) { return row[0]; });
    var series = spec.columns.slice(1);
    if (spec.columns[1] === "Met %") { series = ["Met %"]; }
    var datasets = series.map(function (name, i) {
      return { label: name, backgroundColor: palette[i % palette.length],
               data: spec.rows.map(function (row) { return row[i + 1]; }) };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { x: { stacked: spec.kind === "stacked" },
                           y: { stacked: spec.kind === "stacked", beginAtZero: true } },
                 plugins: { legend: { display: datasets.length > 1 } } }
    });
    canvas.setAttribute("data-rendered", "true");
  });
})();
