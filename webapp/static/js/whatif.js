/* Draw the what-if's weekly queue per role with Chart.js from the data embedded in the page
   (the table under the chart has the same figures for keyboard and screen reader users). */
(function () {
  "use strict";
  var node = document.getElementById("whatif-data");
  var canvas = document.getElementById("whatif-chart");
  if (!node || !canvas || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var palette = ["#1d70b8", "#00703c", "#d4351c", "#f47738", "#4c2c92", "#505a5f"];
  new window.Chart(canvas, {
    type: "line",
    data: { labels: data.weeks,
            datasets: data.series.map(function (line, i) {
              return { label: line.label, data: line.data, borderColor: palette[i % palette.length],
                       backgroundColor: palette[i % palette.length], pointRadius: 0, tension: 0 };
            }) },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
               scales: { y: { beginAtZero: true, title: { display: true, text: "Tasks waiting" } } } }
  });
  canvas.setAttribute("data-rendered", "true");
}());
