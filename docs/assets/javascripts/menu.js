/* The menu button by keyboard. Material's menu button is a label for a hidden
 * checkbox, which a keyboard cannot reach; here it is a focusable button that
 * Enter or Space opens and closes, Escape closes, and it says whether it is open.
 * site.css hides the closed menu's links, so Tab no longer walks through them. */
(function () {
  "use strict";
  var toggle = document.getElementById("__drawer");
  var button = document.querySelector("[data-menu-button]");
  if (!toggle || !button) return;

  function set(open) {
    toggle.checked = open;
    toggle.dispatchEvent(new Event("change"));
    button.setAttribute("aria-expanded", String(open));
    if (open) {
      var first = document.querySelector(".md-sidebar--primary .md-nav__link");
      if (first) first.focus();
    } else {
      button.focus();
    }
  }

  button.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      set(!toggle.checked);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.checked) set(false);
  });
  toggle.addEventListener("change", function () {
    button.setAttribute("aria-expanded", String(toggle.checked));
  });
})();
