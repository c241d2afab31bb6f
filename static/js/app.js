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

  // "Show 10 more": once the older events are in, focus the first of them so keyboard and screen-reader
  // users continue where the new ones start instead of being left on a button that no longer exists.
  var timelineMoreRequested = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    timelineMoreRequested = !!(event.detail.elt.closest && event.detail.elt.closest("#timeline-more"));
  });
  // htmx:load fires on each piece of new content; the old button is gone by then, so listen here.
  document.addEventListener("htmx:load", function (event) {
    if (!timelineMoreRequested || !event.target.matches || !event.target.matches("[data-page-start]")) return;
    timelineMoreRequested = false;
    var summary = event.target.querySelector("summary");
    if (summary) summary.focus();
  });

  // After a tab swap, move focus to the newly selected tab so keyboard users keep their place.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "profile-tabs") {
      var selected = event.detail.target.querySelector('[role="tab"][aria-selected="true"]');
      if (selected && document.activeElement === document.body) selected.focus();
    }
  });
})();
