/* Draw each dashboard figure with Chart.js from the data embedded in the page; a click on a
   bar opens the case list of the cases behind it (the table below each chart has the same
   links for keyboard and screen reader users). */
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
    if (spec.series) { series = series.slice(0, spec.series); }
    var datasets = series.map(function (name, i) {
      return { label: name, backgroundColor: palette[i % palette.length],
               data: spec.rows.map(function (row) { return row[i + 1]; }) };
    });
    function linkAt(elements) {
      if (!elements.length) { return null; }
      var row = (spec.links || [])[elements[0].index] || [];
      return row[elements[0].datasetIndex] || null;
    }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: spec.scales,
                 onClick: function (event, elements) {
                   var link = linkAt(elements);
                   if (link) { window.location.assign(link); }
                 },
                 onHover: function (event, elements) {
                   canvas.style.cursor = linkAt(elements) ? "pointer" : "default";
                 },
                 plugins: { legend: { display: datasets.length > 1 } } }
    });
    canvas.setAttribute("data-rendered", "true");
  });
})();
