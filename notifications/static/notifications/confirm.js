// Asks before a button marked data-confirm submits its form (the broadcast's "Send now"). A
// script of its own: the Content-Security-Policy refuses inline handlers such as onclick.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
