// The Fil: open a message beside the list, move with the keyboard, select for bulk actions.
(() => {
  const wide = () => window.matchMedia("(min-width: 992px)").matches;
  const rows = () => Array.from(document.querySelectorAll(".cpt-row[data-item]"));
  const active = () => document.querySelector(".cpt-row.active");

  let loading = null;

  // The pane of the last message asked for wins: a quick j-j-j never shows an older one last.
  async function load(url) {
    loading?.abort();
    loading = new AbortController();
    try {
      const response = await fetch(url, {
        headers: { "HX-Request": "true", "HX-Target": "detail", "HX-Current-URL": window.location.href },
        signal: loading.signal, credentials: "same-origin",
      });
      if (!response.ok) { return; }
      const pane = document.getElementById("detail");
      const fresh = document.createRange().createContextualFragment(await response.text()).firstElementChild;
      pane.replaceWith(fresh);
      window.htmx?.process(fresh);
    } catch (error) {
      if (error.name !== "AbortError") { throw error; }
    }
  }

  function open(row, link) {
    rows().forEach((r) => r.classList.toggle("active", r === row));
    if (row) { row.scrollIntoView({ block: "nearest" }); }
    if (!wide()) { window.location.href = link.getAttribute("href"); return; }
    window.history.replaceState(null, "", link.getAttribute("href"));
    document.querySelector(".cpt-split")?.classList.add("has-selection");
    load(link.dataset.filOpen);
  }

  function move(step) {
    const list = rows();
    if (!list.length) { return; }
    const index = list.indexOf(active());
    const next = list[Math.min(Math.max(index + step, 0), list.length - 1)] || list[0];
    open(next, next.querySelector("[data-fil-open]"));
  }

  function updateSelection() {
    const checked = document.querySelectorAll("[data-fil-check]:checked").length;
    const bar = document.querySelector(".cpt-bulk");
    if (!bar) { return; }
    bar.classList.toggle("has-selection", checked > 0);
    const label = bar.querySelector("[data-fil-selected]");
    if (label) {
      label.dataset.empty ||= label.textContent;
      label.textContent = checked ? `${checked} ✓` : label.dataset.empty;
    }
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-fil-open]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    if (!wide()) { return; }
    event.preventDefault();
    open(link.closest(".cpt-row[data-item]"), link);
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-fil-select-all]")) {
      document.querySelectorAll("[data-fil-check]").forEach((box) => { box.checked = event.target.checked; });
    }
    if (event.target.matches("[data-fil-check], [data-fil-select-all]")) { updateSelection(); }
  });

  document.addEventListener("keydown", (event) => {
    if (!document.querySelector("[data-fil]") || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    const row = active();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": {
        const box = row?.querySelector("[data-fil-check]");
        if (box) { box.checked = !box.checked; updateSelection(); }
        break;
      }
      case "r": document.querySelector("[data-fil-review]")?.click(); break;
      case "o": {
        const url = row?.dataset.url;
        if (url) { window.open(url, "_blank", "noopener,noreferrer"); }
        break;
      }
      case "/": {
        event.preventDefault();
        const filters = document.getElementById("fil-filters");
        if (filters && !wide()) { window.bootstrap.Collapse.getOrCreateInstance(filters).show(); }
        document.querySelector("[data-fil-search]")?.focus();
        break;
      }
      case "?": window.bootstrap.Modal.getOrCreateInstance(document.getElementById("fil-help")).show(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-fil-help]")) {
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById("fil-help")).show();
    }
  });
})();
