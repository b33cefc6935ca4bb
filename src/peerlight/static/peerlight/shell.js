/* Quick exit: leave for a neutral page without leaving Peerlight in history. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) { return; }
  var target = link.getAttribute("href");
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.title = "";
    document.body.hidden = true;
    window.location.replace(target);
  }
  link.addEventListener("click", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 800) { leave(event); }
    lastEscape = now;
  });
}());
