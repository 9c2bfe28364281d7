// Comptoir's small behaviours. Alpine's CSP build: components are registered here, never inline.
document.addEventListener("alpine:init", () => {
  window.Alpine.data("shell", () => ({
    open: false,
    toggle() { this.open = !this.open; },
    close() { this.open = false; },
    isOpen() { return this.open; },
  }));
  window.Alpine.data("copyable", () => ({
    copied: false,
    copy() {
      const text = this.$refs.source.textContent.trim();
      navigator.clipboard.writeText(text).then(() => { this.copied = true; setTimeout(() => { this.copied = false; }, 2000); });
    },
    notCopied() { return !this.copied; },
    isCopied() { return this.copied; },
  }));
});
// Confirm destructive actions: <form data-confirm="…">.
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
}, true);
// Auto-submit selects marked data-autosubmit (role changes, language).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) { event.target.form.requestSubmit(); }
});
// Sidebar drawer on small screens.
document.addEventListener("click", (event) => {
  const shell = document.querySelector(".cpt-shell");
  if (!shell) { return; }
  if (event.target.closest("[data-menu-toggle]")) { shell.classList.toggle("menu-open"); return; }
  if (shell.classList.contains("menu-open") && !event.target.closest(".cpt-sidebar")) { shell.classList.remove("menu-open"); }
});
