/* Peerlight page shell. Everything here is an enhancement: without it the
   "Quick exit" link still leaves, it just stays in the browser's history. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) { return; }
  var target = link.href;
  var lastEscape = 0;

  /* Leave for the neutral page. location.replace swaps this page out of the
     tab's history, so Back does not bring Peerlight up again. The page is
     blanked first in case the next one is slow to arrive. */
  function leave(event) {
    if (event) { event.preventDefault(); }
    try { window.sessionStorage.clear(); } catch (ignored) { /* storage may be off */ }
    document.title = "\u200b";
    document.body.hidden = true;
    window.location.replace(target);
  }

  link.addEventListener("click", leave);
  /* Escape pressed twice within a second also leaves (shown in the footer). */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 1000) { leave(event); }
    lastEscape = now;
  });
  var hint = document.querySelector("[data-exit-hint]");
  if (hint) { hint.hidden = false; }
}());
