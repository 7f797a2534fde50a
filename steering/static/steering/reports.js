// Draws the steering report's trend charts (dashboards.figures_reports), built on the server and
// embedded as JSON (<script type="application/json" id="figure-kpi-N">). On a phone a trend keeps
// about four tick labels, horizontal, the report's period last. The period picker submits itself.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  if (typeof Plotly === "undefined") return;
  const locale = (document.documentElement.lang || "en").startsWith("fr") ? "fr" : "en";

  document.querySelectorAll(".chart[data-report-figure]").forEach(function (element) {
    const source = document.getElementById(element.dataset.reportFigure);
    if (!source) return;
    const figure = JSON.parse(source.textContent);
    const width = element.clientWidth || window.innerWidth;
    const axis = figure.layout.xaxis;
    if (width < 560 && axis && axis.tickvals) {
      // Every step-th period from the last one; each keeps its year when it changes.
      const step = Math.ceil(axis.tickvals.length / 4);
      const vals = [], texts = [];
      let year = null;
      axis.tickvals.forEach(function (value, i) {
        if ((axis.tickvals.length - 1 - i) % step !== 0) return;
        const label = String(axis.ticktext[i]).split("<br>")[0];
        const thisYear = String(value).slice(0, 4);
        vals.push(value);
        texts.push(thisYear !== year ? label + "<br>" + thisYear : label);
        year = thisYear;
      });
      Object.assign(axis, { tickvals: vals, ticktext: texts, tickangle: 0 });
      figure.layout.font = Object.assign({}, figure.layout.font, { size: 11 });
      figure.layout.margin = Object.assign({}, figure.layout.margin, { l: 40, r: 8 });
    }
    Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      displayModeBar: false,
      locale: locale,
    });
  });
})();
