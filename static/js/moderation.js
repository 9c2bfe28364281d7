// Moderation: decide the open message with one key (a approve, h hide, d delete, w warn) and go on to the next one;
// Teach Comptoir: label the message with one key (t toxic, c clean, s spam, h not spam, space skip).
(() => {
  const typing = (event) => event.ctrlKey || event.metaKey || event.altKey
    || (event.target.closest("input, textarea, select, [contenteditable]")
      && !event.target.matches("input[type=checkbox]"));  // an article just ticked: the key still decides

  // After a decision the list shows the next message: the one below the decided one (or above, at the end).
  function nextAddress() {
    const rows = Array.from(document.querySelectorAll(".cpt-row[data-item]"));
    const index = rows.findIndex((r) => r.classList.contains("active"));
    const next = rows[index + 1] || rows[index - 1];
    const link = next?.querySelector(".cpt-row-link");
    return link ? window.location.pathname + link.getAttribute("href") : null;
  }

  function decide(key) {
    const form = document.querySelector("[data-case-decide]");
    const button = form?.querySelector(`[data-decision="${key}"]`);
    if (!button) { return false; }
    const next = nextAddress();
    const field = form.querySelector("[data-case-next]");
    if (next && field) { field.value = next; }
    form.requestSubmit(button);
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (typing(event)) { return; }
    if (document.querySelector("[data-moderation-queue]") && ["a", "h", "d", "w"].includes(event.key)) {
      if (decide(event.key)) { event.preventDefault(); }
      return;
    }
    const teach = document.querySelector("[data-teach]");
    if (teach) {
      const key = event.key === " " ? "skip" : event.key;
      const button = teach.querySelector(`[data-teach-key="${key}"]`);
      if (button) { event.preventDefault(); button.closest("form").requestSubmit(button); }
    }
  });
})();
