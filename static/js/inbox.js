// The inbox: open a conversation beside the list, move and act with the keyboard, poll for new messages while the
// tab is visible, and tell colleagues who has the conversation open (the collision guard). No inline script (CSP):
// every text shown comes from the templates; this file only moves, toggles and asks the server.
(() => {
  const wide = () => window.matchMedia("(min-width: 992px)").matches;
  const inList = () => document.querySelector("[data-inbox]");
  const onPage = () => document.querySelector("[data-inbox], [data-inbox-page]");
  const rows = () => Array.from(document.querySelectorAll("#inbox-rows .cpt-conv-row"));
  const active = () => document.querySelector("#inbox-rows .cpt-conv-row.active");
  const pane = () => document.getElementById("conversation-pane");
  const visible = () => document.visibilityState === "visible";

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch { return ""; }
  }

  // The pane ---------------------------------------------------------------------------------------------------
  let loading = null;

  // The pane of the last conversation asked for wins: a quick j-j-j never shows an older one last.
  async function load(url) {
    loading?.abort();
    loading = new AbortController();
    try {
      const response = await fetch(url, {
        headers: { "HX-Request": "true", "HX-Target": "conversation-pane", "HX-Current-URL": window.location.href },
        signal: loading.signal, credentials: "same-origin",
      });
      if (!response.ok) { return; }
      const current = pane();
      const fresh = document.createRange().createContextualFragment(await response.text()).firstElementChild;
      if (!current || !fresh) { return; }
      leave(current);
      current.replaceWith(fresh);
      window.htmx?.process(fresh);
      paneChanged();
    } catch (error) {
      if (error.name !== "AbortError") { throw error; }
    }
  }

  function open(row) {
    const link = row?.querySelector("[data-inbox-open]");
    if (!link) { return; }
    rows().forEach((r) => r.classList.toggle("active", r === row));
    row.scrollIntoView({ block: "nearest" });
    if (!wide()) { window.location.href = link.getAttribute("href"); return; }
    window.history.replaceState(null, "", link.getAttribute("href"));
    document.querySelector(".cpt-split")?.classList.add("has-selection");
    load(link.dataset.inboxOpen);
  }

  function move(step) {
    const list = rows();
    if (!list.length) { return; }
    const index = list.indexOf(active());
    const next = index < 0 ? list[0] : list[Math.min(Math.max(index + step, 0), list.length - 1)];
    if (next !== active()) { open(next); }
  }

  // The pane carries its conversation's row as it is now (read, closed, assigned…): the list shows the same.
  function syncRow() {
    const template = pane()?.querySelector("template[data-inbox-row]");
    const fresh = template?.content.firstElementChild;
    if (!fresh) { return; }
    const old = document.getElementById(fresh.id);
    if (!old) { return; }
    const copy = fresh.cloneNode(true);
    copy.classList.add("active");
    const box = old.querySelector("[data-inbox-check]");
    const newBox = copy.querySelector("[data-inbox-check]");
    if (box && newBox) { newBox.checked = box.checked; }
    old.replaceWith(copy);
  }

  let lastPane = null;

  function paneChanged() {
    lastPane = pane();
    syncRow();
    heartbeat();
  }

  // Presence: a heartbeat every 10 s while a conversation is open (typing: the composer holds text). ------------
  let lastTyping = false;

  function typing() {
    const box = pane()?.querySelector("[data-inbox-reply], [data-composer] textarea, textarea[name=text]");
    return Boolean(box && box.value.trim());
  }

  async function heartbeat() {
    const current = pane();
    const url = current?.dataset.presenceUrl;
    if (!url || !visible()) { return; }
    lastTyping = typing();
    const body = new URLSearchParams({ typing: lastTyping ? "true" : "false" });
    try {
      const response = await fetch(url, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "HX-Request": "true" },
      });
      if (!response.ok || pane() !== current) { return; }
      const fresh = document.createRange().createContextualFragment(await response.text()).firstElementChild;
      const shown = current.querySelector("#presence");
      if (fresh && shown) { shown.replaceWith(fresh); }
    } catch {
      // Offline for a moment: the next heartbeat tries again.
    }
  }

  function leave(current) {
    const url = current?.dataset.presenceUrl;
    if (!url) { return; }
    const data = new FormData();
    data.append("leave", "1");
    data.append("csrfmiddlewaretoken", csrf());
    navigator.sendBeacon?.(url, data);
  }

  setInterval(heartbeat, 10_000);
  document.addEventListener("input", (event) => {
    if (event.target.closest("#conversation-pane [data-composer], #conversation-pane [data-inbox-reply]") && typing() !== lastTyping) {
      heartbeat();
    }
  });
  window.addEventListener("pagehide", () => leave(pane()));

  // Live updates: htmx polls every 5 s; a hidden tab asks nothing. ---------------------------------------------
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.target.matches?.("[data-inbox-poll]") && !visible()) { event.preventDefault(); }
  });

  // htmx wires what it swaps in (the pane's hx-post forms, its poll) only when the swap settles, 20 ms or more later.
  // A key pressed in between ("e" right after adding a note) clicked a form not yet wired: the browser posted it
  // itself and loaded the whole page again, whose list (open conversations) no longer had the row just closed.
  // Wire the new content at once; htmx.process does nothing more to what is already wired.
  const wireNow = (event) => {
    if (event.target instanceof Element && event.target.isConnected && onPage()) { window.htmx?.process(event.target); }
  };
  document.addEventListener("htmx:afterSwap", wireNow);
  document.addEventListener("htmx:oobAfterSwap", wireNow);

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target?.id === "inbox-rows") {
      // A conversation that moved up (a new message) comes again: keep the new row, drop the old one.
      const seen = new Set();
      const selected = pane()?.dataset.conversation;
      rows().forEach((row) => {
        if (seen.has(row.id)) { row.remove(); return; }
        seen.add(row.id);
        if (row.dataset.inboxSeen === undefined) { row.dataset.inboxSeen = ""; row.classList.add("is-new"); }
        row.classList.toggle("active", row.dataset.conversation === selected);
      });
      document.querySelector("[data-inbox-empty]")?.remove();
    }
    if (target?.id === "inbox-timeline") {
      // A reply the composer already showed (sent from this pane) comes again with the poll: keep the first.
      const replies = new Set();
      target.querySelectorAll("[data-reply-id]").forEach((reply) => {
        if (replies.has(reply.dataset.replyId)) { (reply.closest(".cpt-tl-entry") || reply).remove(); return; }
        replies.add(reply.dataset.replyId);
      });
      target.querySelectorAll(":scope > :not([data-seen])").forEach((entry) => {
        entry.dataset.seen = "";
        entry.classList.add("is-new");
      });
    }
  });

  // A form of the pane answered with the pane (htmx swapped it): the row and the presence follow.
  document.addEventListener("htmx:load", (event) => {
    if (event.target.id === "conversation-pane" && event.target !== lastPane) { lastPane = event.target; paneChanged(); }
  });

  // Rows shown when the page loaded are not "new".
  document.addEventListener("DOMContentLoaded", () => {
    rows().forEach((row) => { row.dataset.inboxSeen = ""; });
    document.querySelectorAll("#inbox-timeline > *").forEach((entry) => { entry.dataset.seen = ""; });
    if (pane()?.dataset.conversation) { paneChanged(); }
  });

  // Bulk selection -------------------------------------------------------------------------------------------
  function updateSelection() {
    const checked = document.querySelectorAll("[data-inbox-check]:checked").length;
    const bar = document.querySelector(".cpt-bulk");
    if (!bar) { return; }
    bar.classList.toggle("has-selection", checked > 0);
    const label = bar.querySelector("[data-inbox-selected]");
    if (label) {
      label.dataset.empty ||= label.textContent;
      label.textContent = checked ? `${checked} ✓` : label.dataset.empty;
    }
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-inbox-select-all]")) {
      document.querySelectorAll("[data-inbox-check]").forEach((box) => { box.checked = event.target.checked; });
    }
    if (event.target.matches("[data-inbox-check], [data-inbox-select-all]")) { updateSelection(); }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-inbox-help]")) { showHelp(); return; }
    const link = event.target.closest("[data-inbox-open]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0 || !wide()) { return; }
    event.preventDefault();
    open(link.closest(".cpt-conv-row"));
  });

  // The keyboard ---------------------------------------------------------------------------------------------
  function showHelp() {
    const help = document.getElementById("inbox-help");
    if (help) { window.bootstrap.Modal.getOrCreateInstance(help).show(); }
  }

  function focus(selector) {
    const found = pane()?.querySelector(selector);
    if (!found) { return false; }
    found.closest("details")?.setAttribute("open", "");
    found.scrollIntoView({ block: "nearest" });
    found.focus();
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (!onPage() || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (document.querySelector(".modal.show")) { return; }
    switch (event.key) {
      case "j": if (inList()) { move(1); } break;
      case "k": if (inList()) { move(-1); } break;
      case "Enter": {
        if (event.target.closest("button") || (event.target.closest("a") && !event.target.closest("[data-inbox-open]"))) {
          return;
        }
        const page = active()?.querySelector("[data-inbox-page]")?.dataset.inboxPage;
        if (page) { window.location.href = page; } else { return; }
        break;
      }
      case "r": if (!focus("[data-inbox-reply], [data-composer] textarea, textarea[name=text]")) { return; } break;
      case "n": if (!focus("[data-inbox-note]")) { return; } break;
      case "a": if (!focus("[data-inbox-assign]")) { return; } break;
      case "e": pane()?.querySelector("[data-inbox-close]")?.click(); break;
      case "u": pane()?.querySelector("[data-inbox-unread]")?.click(); break;
      case "x": {
        const box = active()?.querySelector("[data-inbox-check]");
        if (box) { box.checked = !box.checked; updateSelection(); }
        break;
      }
      case "/": {
        const search = document.querySelector("[data-inbox-search]");
        if (!search) { return; }
        const filters = document.getElementById("inbox-filters");
        if (filters && !wide() && filters.classList.contains("collapse")) {
          window.bootstrap.Collapse.getOrCreateInstance(filters).show();
        }
        search.focus();
        break;
      }
      case "?": showHelp(); break;
      default: return;
    }
    event.preventDefault();
  });
})();
