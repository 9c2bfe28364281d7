// The inbox's reply composer: Ctrl+Enter sends, a saved reply is inserted where the cursor is, the picker is shown
// only where this script runs (without JavaScript the composer is a plain form). Loaded again when htmx swaps a
// composer in: everything below is delegated to the document, and set up once.
(() => {
  if (window.comptoirInboxComposer) { return; }
  window.comptoirInboxComposer = true;

  const showPickers = (root) => {
    (root || document).querySelectorAll("[data-saved-picker][hidden]").forEach((el) => { el.hidden = false; });
  };
  document.addEventListener("htmx:load", (event) => showPickers(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => showPickers(document));
  } else {
    showPickers(document);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) { return; }
    if (target.matches("[data-composer-text]") && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    // Enter in the saved replies' search box searches; it never sends the answer.
    if (target.closest("[data-saved-panel]") && event.key === "Enter") { event.preventDefault(); }
  });

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-insert-saved]") : null;
    if (!button) { return; }
    const form = button.closest("[data-composer]");
    const area = form && form.querySelector("[data-composer-text]");
    if (!area) { return; }
    const text = button.dataset.text || "";
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? area.value.length;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    const caret = start + text.length;
    area.focus();
    area.setSelectionRange(caret, caret);
    const saved = form.querySelector("[data-saved-reply-id]");
    if (saved) { saved.value = button.dataset.insertSaved; }
    const picker = button.closest("[data-saved-picker]");
    if (picker) { picker.open = false; }
    area.dispatchEvent(new Event("input", { bubbles: true }));  // the live counter follows
  });
})();
