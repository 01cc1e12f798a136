/* Safety for visitors on a watched device.
 *
 * Quick exit ("Exit this page", in the header): leave this site at once for a
 * neutral page. The link works without JavaScript. With it, the page is hidden
 * first and the current history entry is replaced, so Back leads to the page
 * before this one, not to this one. Pressing Shift on its own three times within
 * five seconds does the same, in a form's fields too; each press fills a dot on the
 * button and is announced politely. A page brought back from the back-forward cache
 * after an exit stays hidden and leaves again. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) return;
  var destination = link.href;
  var words = link.dataset; // the announcements, in the page's language (quick-exit.html)
  var status = document.querySelector("[data-quick-exit-status]");
  var dots = link.querySelectorAll("[data-quick-exit-progress] > span");
  var root = document.documentElement;
  var PRESSES = 3;
  var WINDOW_MS = 5000;

  function leave(event) {
    if (event) event.preventDefault();
    root.classList.add("quick-exit-leaving");
    document.title = "";
    window.location.replace(destination);
  }

  link.addEventListener("click", function (event) {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) leave(event);
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted && root.classList.contains("quick-exit-leaving")) leave();
  });

  var presses = 0;
  var timer = 0;
  var shiftAlone = false;

  function show(count, message) {
    presses = count;
    dots.forEach(function (dot, i) {
      dot.classList.toggle("is-on", i < count);
    });
    link.classList.toggle("quick-exit--counting", count > 0);
    if (status) status.textContent = message;
  }

  function reset(message) {
    window.clearTimeout(timer);
    show(0, message || "");
  }

  function pressed() {
    if (presses === 0) {
      timer = window.setTimeout(function () {
        reset(words.expired);
      }, WINDOW_MS);
    }
    var count = presses + 1;
    if (count >= PRESSES) {
      window.clearTimeout(timer);
      show(PRESSES, words.leaving);
      leave();
      return;
    }
    var left = PRESSES - count;
    show(count, left === 1 ? words.moreOne : words.moreOther.replace("{n}", left));
  }

  // Only a Shift pressed and released on its own counts, however long it is held, in a
  // form's fields as anywhere else: typing capitals, Shift+click and a Shift an input
  // method takes (to switch its language, or while it composes a word) do not.
  function byInputMethod(event) {
    return event.isComposing || event.keyCode === 229; // 229: a key the input method took
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Shift") {
      if (!event.repeat) shiftAlone = !byInputMethod(event);
    } else {
      shiftAlone = false;
      if (presses) reset();
    }
  });
  document.addEventListener("pointerdown", function () {
    shiftAlone = false;
  });
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") return;
    if (shiftAlone && !byInputMethod(event)) pressed();
    shiftAlone = false;
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
