// Progressive enhancement only: every control here also works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // ARIA tabs: arrow keys, Home and End move between tabs of a tablist.
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest ? event.target.closest('[role="tab"]') : null;
    if (!tab) return;
    var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
    var index = tabs.indexOf(tab);
    var next = null;
    if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    if (next) { event.preventDefault(); next.focus(); next.click(); }
  });

  // Drop-down menus built on <details>: close on Escape and on a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // After a tab swap, move focus to the newly selected tab so keyboard users keep their place.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "profile-tabs") {
      var selected = event.detail.target.querySelector('[role="tab"][aria-selected="true"]');
      if (selected && document.activeElement === document.body) selected.focus();
    }
  });

  // When a swap replaces the control that had focus (a "move up" button, say), focus its replacement,
  // or the next usable control of its group when the replacement is disabled (moved to the top).
  var focusedId = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    focusedId = active && active.id && event.detail.target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusedId) return;
    var control = document.getElementById(focusedId);
    focusedId = null;
    if (control && control.disabled) {
      var group = control.closest("[data-focus-group]");
      control = group ? group.querySelector("button:not([disabled])") : null;
    }
    if (control) control.focus();
  });
})();
