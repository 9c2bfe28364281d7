// The post editor: apply a shortening suggestion to a channel's text, add a suggested hashtag to the text being
// written. The counters themselves come from the server (htmx), which asks each network's own check.
(() => {
  let lastText = null;
  document.addEventListener("focusin", (event) => {
    if (event.target.matches("#post-form textarea")) { lastText = event.target; }
  });
  document.addEventListener("click", (event) => {
    const apply = event.target.closest("[data-apply-to]");
    if (apply) {
      const target = document.getElementById(apply.getAttribute("data-apply-to"));
      if (target) {
        target.value = apply.getAttribute("data-apply-text");
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.focus();
      }
      return;
    }
    const tag = event.target.closest("[data-add-hashtag]");
    if (tag) {
      const target = lastText && document.body.contains(lastText) ? lastText : document.querySelector("[data-hashtag-target]");
      if (!target) { return; }
      const value = target.value.replace(/\s+$/, "");
      target.value = `${value}${value ? " " : ""}${tag.getAttribute("data-add-hashtag")}`;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.focus();
    }
  });
})();
