// Editorial calendar: drag a post to another day (mouse), or move it with the keyboard
// (focus a post, Enter, arrows to choose the day, Enter to drop, Escape to cancel).
// Both post the same form as the "Move" control, which works without JavaScript.
(function () {
  "use strict";
  const grid = () => document.querySelector(".cpt-cal[data-view]");
  const live = () => document.getElementById("cal-live");

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function showError(message) {
    const box = document.getElementById("cal-error");
    if (!box) { return; }
    box.textContent = message;
    box.classList.remove("d-none");
    if (live()) { live().textContent = message; }
  }

  function move(post, day, hour) {
    const url = post.getAttribute("data-move-url");
    if (!url) { return; }
    const body = new FormData();
    body.append("day", day);
    if (hour !== undefined && hour !== null && hour !== "") {
      const minute = post.getAttribute("data-minute") || "00";
      body.append("time", String(hour).padStart(2, "0") + ":" + minute);
    }
    body.append("csrfmiddlewaretoken", csrfToken());
    post.setAttribute("aria-busy", "true");
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" } })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data: data })))
      .then((result) => {
        post.removeAttribute("aria-busy");
        if (!result.ok) { showError(result.data.message || "Error"); return; }
        if (live()) { live().textContent = result.data.message; }
        sessionStorage.setItem("cpt-cal-focus", post.getAttribute("data-post"));
        window.location.reload();
      })
      .catch(() => { post.removeAttribute("aria-busy"); showError(document.documentElement.lang === "fr"
        ? "Le déplacement n’a pas abouti : réessayez." : "The move did not go through: try again."); });
  }

  // Mouse: HTML drag and drop onto any cell marked data-drop-day (not in the past).
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const post = event.target.closest && event.target.closest(".cpt-cal-post[draggable=true]");
    if (!post) { return; }
    dragged = post;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", post.getAttribute("data-post"));
  });
  document.addEventListener("dragend", () => {
    dragged = null;
    document.querySelectorAll(".is-drop-target").forEach((el) => el.classList.remove("is-drop-target"));
  });
  document.addEventListener("dragover", (event) => {
    const cell = dragged && event.target.closest && event.target.closest("[data-drop-day]");
    if (!cell || cell.classList.contains("is-past")) { return; }
    event.preventDefault();
    document.querySelectorAll(".is-drop-target").forEach((el) => { if (el !== cell) { el.classList.remove("is-drop-target"); } });
    cell.classList.add("is-drop-target");
  });
  document.addEventListener("drop", (event) => {
    const cell = dragged && event.target.closest && event.target.closest("[data-drop-day]");
    if (!cell || cell.classList.contains("is-past")) { return; }
    event.preventDefault();
    const post = dragged;
    dragged = null;
    cell.classList.remove("is-drop-target");
    move(post, cell.getAttribute("data-drop-day"), cell.getAttribute("data-drop-hour"));
  });

  // Keyboard: pick up, walk the days, drop.
  let grabbed = null;
  let targetIndex = -1;
  function dayCells() {
    const root = grid();
    if (!root) { return []; }
    const seen = new Set();
    return Array.from(root.querySelectorAll(root.getAttribute("data-view") === "week" ? ".cpt-cal-dayhead[data-drop-day]" : ".cpt-cal-day[data-drop-day]"))
      .filter((el) => { const d = el.getAttribute("data-drop-day"); if (seen.has(d)) { return false; } seen.add(d); return true; });
  }
  function mark(cells) {
    cells.forEach((el, i) => el.classList.toggle("is-key-target", i === targetIndex));
    const cell = cells[targetIndex];
    if (cell && live()) {
      const label = cell.getAttribute("aria-label") || cell.getAttribute("data-drop-day");
      live().textContent = (document.documentElement.lang === "fr" ? "Déplacer au " : "Move to ") + label
        + (cell.classList.contains("is-past") ? (document.documentElement.lang === "fr" ? " (passé)" : " (past)") : "");
    }
  }
  function release() {
    if (grabbed) { grabbed.classList.remove("is-grabbed"); grabbed.removeAttribute("aria-grabbed"); }
    grabbed = null;
    targetIndex = -1;
    document.querySelectorAll(".is-key-target").forEach((el) => el.classList.remove("is-key-target"));
  }
  document.addEventListener("keydown", (event) => {
    const post = event.target.closest && event.target.closest(".cpt-cal-post[data-move-url]");
    if (!post || event.target !== post) { if (grabbed && event.key === "Escape") { release(); } return; }
    const cells = dayCells();
    if (!grabbed) {
      if ((event.key === "Enter" || event.key === " ") && cells.length) {
        event.preventDefault();
        grabbed = post;
        post.classList.add("is-grabbed");
        post.setAttribute("aria-grabbed", "true");
        const day = post.getAttribute("data-day");
        targetIndex = Math.max(0, cells.findIndex((el) => el.getAttribute("data-drop-day") === day));
        mark(cells);
      }
      return;
    }
    if (grabbed !== post) { release(); return; }
    const steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    if (event.key in steps) {
      event.preventDefault();
      targetIndex = Math.min(cells.length - 1, Math.max(0, targetIndex + steps[event.key]));
      mark(cells);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      const cell = cells[targetIndex];
      const day = cell && cell.getAttribute("data-drop-day");
      release();
      if (day && day !== post.getAttribute("data-day")) { move(post, day, null); }
    } else if (event.key === "Escape" || event.key === "Tab") {
      release();
    }
  });

  // After a move the page reloads: give the focus back to the moved post.
  document.addEventListener("DOMContentLoaded", () => {
    const id = sessionStorage.getItem("cpt-cal-focus");
    if (!id) { return; }
    sessionStorage.removeItem("cpt-cal-focus");
    const post = document.querySelector('.cpt-cal-post[data-post="' + CSS.escape(id) + '"]');
    if (post) { post.focus(); }
  });
})();
