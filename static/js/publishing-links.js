// Clicks per day of the short links (publishing): a bar chart drawn from the JSON the page embeds.
(function () {
  "use strict";

  function start() {
    const source = document.getElementById("clicks-data");
    const canvas = document.querySelector("canvas[data-chart='clicks']");
    if (!window.Chart || !source || !canvas) { return; }
    const data = JSON.parse(source.textContent);
    const locale = document.documentElement.lang || "fr";
    const labels = data.labels.map((day) => new Date(day + "T12:00:00").toLocaleDateString(locale, { day: "numeric", month: "short" }));
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: data.label, data: data.clicks, backgroundColor: "#7048e8" }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
