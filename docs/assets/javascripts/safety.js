/* Safety for visitors on a watched device.
 *
 * Quick exit: leave this site at once for a neutral page.
 * The link works without JavaScript. With it, the page is hidden first and the
 * current history entry is replaced, so Back does not return here; pressing
 * Shift three times in a row does the same. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) return;
  var destination = link.href;

  function leave(event) {
    if (event) event.preventDefault();
    document.documentElement.classList.add("quick-exit-leaving");
    document.title = "";
    window.location.replace(destination);
  }

  link.addEventListener("click", function (event) {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) leave(event);
  });

  var presses = 0;
  var last = 0;
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") {
      presses = 0;
      return;
    }
    var now = Date.now();
    presses = now - last < 1000 ? presses + 1 : 1;
    last = now;
    if (presses >= 3) leave();
  });
})();

/* Search: Material's search box is a form with no action. If it were ever
 * submitted, the browser would put the search words in the address (and so in
 * the history). Results appear as you type, so a submit is never needed. */
(function () {
  "use strict";
  document.querySelectorAll("form[name=search]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  });
})();
