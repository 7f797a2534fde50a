// Draws the dashboards' Plotly figures, built on the server and embedded as JSON
// (<script type="application/json" id="figure-NAME">), into <div class="chart" data-figure=...>.
// A click on a bar, a heatmap cell or a team's point follows the URL in its customdata (drill
// down); a click on a row of the units table follows the row's link. Everything here is an
// enhancement: the table, its sorting and the filters work without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;
      window.location.href = row.dataset.href;
    });
  });

  if (typeof Plotly === "undefined") return;
  const locale = (document.documentElement.lang || "en").startsWith("fr") ? "fr" : "en";

  // Long titles do not wrap in Plotly: break them at spaces to fit the width.
  function wrap(text, maxChars) {
    if (!text || text.length <= maxChars) return text;
    const lines = [];
    let line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > maxChars) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines.join("<br>");
  }

  function adapt(layout, width) {
    const maxChars = Math.max(20, Math.floor(width / 8.5));
    if (layout.title && layout.title.text) {
      layout.title.text = wrap(layout.title.text, maxChars);
      const lines = layout.title.text.split("<br>").length;
      layout.margin = Object.assign({}, layout.margin, { t: 30 + 20 * lines });
    }
    if (width >= 560) return;
    // A phone: tighter margins, smaller type, the third axis without its ticks (hover tells).
    layout.font = Object.assign({}, layout.font, { size: 11 });
    layout.margin = Object.assign({}, layout.margin, { l: 44, r: 12 });
    ["xaxis", "yaxis", "yaxis2"].forEach(function (name) {
      const axis = layout[name];
      if (axis && axis.title && axis.title.text) axis.title.text = wrap(axis.title.text, Math.floor(width / 10));
    });
    if (layout.xaxis && layout.xaxis.type === "date") {
      delete layout.xaxis.dtick;
      layout.xaxis.nticks = 4;
      layout.xaxis.tickangle = 0;
      layout.xaxis.tickformat = "%b<br>%Y";
    }
    if (layout.xaxis && layout.xaxis.type === "category") layout.xaxis.tickangle = -40;
    if (layout.yaxis3) {
      layout.yaxis3.showticklabels = false;
      layout.yaxis3.title = { text: "" };
    }
    if (layout.yaxis2 && layout.yaxis3) layout.margin.r = 36;
  }

  document.querySelectorAll(".chart[data-figure]").forEach(function (element) {
    const source = document.getElementById(element.dataset.figure);
    if (!source) return;
    const figure = JSON.parse(source.textContent);
    adapt(figure.layout, element.clientWidth || window.innerWidth);
    Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      locale: locale,
      modeBarButtonsToRemove: ["select2d", "lasso2d"],
    });
    element.on("plotly_click", function (event) {
      const point = event.points && event.points[0];
      if (!point) return;
      const data = Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
      if (typeof data === "string" && data.charAt(0) === "/") window.location.href = data;
    });
  });
})();
