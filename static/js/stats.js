// The statistics dashboard's chart: stacked bars of suggestions by outcome per group.
// The figures come from a JSON data block the page renders (no inline script: the CSP
// forbids it); the table under the chart holds the same numbers for screen readers.
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  var canvas = document.getElementById("stats-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (s) {
        return { label: s.label, data: s.values, backgroundColor: s.color };
      }),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
})();
