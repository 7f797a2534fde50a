// Draws each Plotly figure built on the server: an element with data-figure="ID" takes the
// figure of the json_script ID. Resizes with the page (phone, tablet, desktop).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") return;
  for (const element of document.querySelectorAll("[data-figure]")) {
    const data = document.getElementById(element.dataset.figure);
    if (!data) continue;
    const figure = JSON.parse(data.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, { responsive: true, displaylogo: false });
  }
})();
