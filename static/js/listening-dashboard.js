// Listening charts (e-reputation dashboard, incident evolution). The figures come from a json_script block;
// every chart has the same figures in a table or a legend beside it, for screen readers and for print.
(() => {
  const lang = document.documentElement.lang || "fr";
  const number = new Intl.NumberFormat(lang);
  const day = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function read(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // Labels come in the reader's time zone: days as 2026-03-01, hours as 2026-03-01T14:00.
  function labels(list) {
    const days = new Set(list.map((l) => l.slice(0, 10)));
    return list.map((label) => {
      const [y, m, d] = label.slice(0, 10).split("-").map(Number);
      const date = day.format(new Date(y, m - 1, d));
      if (label.length === 10) { return date; }
      const hour = label.slice(11, 16);
      return days.size > 1 ? `${date} ${hour}` : hour;
    });
  }

  const base = {
    responsive: true,
    maintainAspectRatio: false,
    animation: still ? false : { duration: 300 },
    plugins: { legend: { labels: { boxWidth: 12, usePointStyle: true } },
               tooltip: { callbacks: { label: (c) => `${c.dataset.label || c.label}: ${number.format(c.parsed.y ?? c.parsed)}` } } },
  };

  function doughnut(canvas, rows) {
    const shown = rows.filter((r) => r.value > 0);
    return new window.Chart(canvas, {
      type: "doughnut",
      data: { labels: shown.map((r) => r.label),
              datasets: [{ data: shown.map((r) => r.value), backgroundColor: shown.map((r) => r.color), borderWidth: 1 }] },
      options: { ...base, cutout: "58%", plugins: { legend: { display: false },
        tooltip: { callbacks: { label: (c) => `${c.label}: ${number.format(c.parsed)}` } } } },
    });
  }

  const draw = {
    volume(canvas, data) {
      const volume = data.volume;
      return new window.Chart(canvas, {
        type: "bar",
        data: { labels: labels(volume.labels),
                datasets: volume.datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: d.color, stack: "s" })) },
        options: { ...base, scales: { x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
                                      y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
    },
    sentiment: (canvas, data) => doughnut(canvas, data.sentiment),
    voice: (canvas, data) => doughnut(canvas, data.voice),
    topics(canvas, data) {
      return new window.Chart(canvas, {
        type: "bar",
        data: { labels: data.topics.map((t) => t.label),
                datasets: [{ data: data.topics.map((t) => t.value), backgroundColor: data.topics.map((t) => t.color) }] },
        options: { ...base, indexAxis: "y", plugins: { legend: { display: false },
          tooltip: { callbacks: { label: (c) => number.format(c.parsed.x) } } },
                   scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } } },
      });
    },
    incident(canvas, data) {
      return new window.Chart(canvas, {
        data: { labels: labels(data.labels), datasets: [
          { type: "bar", label: data.names.negatives, data: data.negatives, backgroundColor: "#c92a2a", stack: "m", yAxisID: "y" },
          { type: "bar", label: data.names.others, data: data.others, backgroundColor: "#f0a27f", stack: "m", yAxisID: "y" },
          { type: "line", label: data.names.share, data: data.negative_share, borderColor: "#7a1a12",
            backgroundColor: "#7a1a12", yAxisID: "share", spanGaps: false, pointRadius: 2, tension: 0 },
        ] },
        options: { ...base, scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
          share: { position: "right", min: 0, max: 100, grid: { display: false }, ticks: { callback: (v) => `${v} %` } },
        } },
      });
    },
  };

  function start() {
    if (!window.Chart) { return; }
    const data = read("dashboard-data") || read("incident-data");
    if (!data) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const kind = canvas.dataset.chart;
      if (draw[kind]) { draw[kind](canvas, data); }
    });
  }

  // The retrospective report's print button (no inline script under our CSP).
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) { window.print(); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
