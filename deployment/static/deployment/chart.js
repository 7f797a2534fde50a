// Draws the Plotly figure built on the server (json_script "mastery-figure").
(function () {
  "use strict";
  const data = document.getElementById("mastery-figure");
  if (!data || typeof Plotly === "undefined") return;
  const figure = JSON.parse(data.textContent);
  Plotly.newPlot("mastery-chart", figure.data, figure.layout, { responsive: true, displaylogo: false });
})();
