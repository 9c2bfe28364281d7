// The requests board: drag a card onto another column to move it (the card's own form does the same without a mouse).
(() => {
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-move-url]");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.request);
  });
  document.addEventListener("dragover", (event) => {
    const column = dragged && event.target.closest && event.target.closest("[data-drop]");
    if (!column) { return; }
    event.preventDefault();
    column.classList.add("cpt-drop");
  });
  document.addEventListener("dragleave", (event) => {
    const column = event.target.closest && event.target.closest("[data-drop]");
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("cpt-drop"); }
  });
  document.addEventListener("drop", (event) => {
    const column = dragged && event.target.closest && event.target.closest("[data-drop]");
    if (!column) { return; }
    event.preventDefault();
    column.classList.remove("cpt-drop");
    const form = document.getElementById("board-drag-form");
    if (!form || column.contains(dragged)) { dragged = null; return; }
    form.action = dragged.dataset.moveUrl;
    form.elements.status.value = column.dataset.status;
    dragged = null;
    form.submit();
  });
})();
