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

  // Enter in a field that feeds its own button (e.g. "Add organization") presses that button; without this
  // file, Enter submits the form's default action (Save), as in every other text field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing || !event.target.matches) return;
    if (!event.target.matches("input[data-enter-clicks]")) return;
    var button = document.querySelector(event.target.getAttribute("data-enter-clicks"));
    if (button) { event.preventDefault(); button.click(); }
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

  // "Show 25 more" of a list (a relationship, an organization's members or tickets): once the next records
  // are in, focus the first of them, as the timeline does, so keyboard users carry on where they start.
  var listMoreRequested = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    listMoreRequested = !!(event.detail.elt.closest && event.detail.elt.closest(".relation__more, .rows__more"));
  });
  document.addEventListener("htmx:load", function (event) {
    if (!listMoreRequested || !event.target.matches || !event.target.matches("[data-page-start]")) return;
    listMoreRequested = false;
    var first = event.target.querySelector("a");
    if (!first) { first = event.target; first.setAttribute("tabindex", "-1"); }
    first.focus();
  });

  // Tag fields (<input data-tags>): shown as removable chips with a box to type new ones. The original
  // input stays in the form as a hidden field holding the space-separated list the server expects.
  function normalizeTag(text) {
    return text.trim().toLowerCase().replace(/[^\w\-:/.]+/gu, "_").replace(/^_+|_+$/g, "");
  }
  function enhanceTags(root) {
    root.querySelectorAll("input[data-tags]:not([data-tags-ready])").forEach(function (original) {
      original.setAttribute("data-tags-ready", "");
      var box = document.createElement("div");
      box.className = "chips";
      var list = document.createElement("ul");
      list.className = "chips__list";
      var entry = document.createElement("input");
      entry.type = "text";
      entry.className = "chips__entry";
      entry.id = original.id;
      entry.autocomplete = "off";
      if (original.getAttribute("aria-describedby")) entry.setAttribute("aria-describedby", original.getAttribute("aria-describedby"));
      if (original.getAttribute("aria-invalid")) entry.setAttribute("aria-invalid", original.getAttribute("aria-invalid"));
      original.removeAttribute("id");
      original.type = "hidden";
      original.parentNode.insertBefore(box, original);
      box.appendChild(list);
      box.appendChild(entry);
      var tags = original.value.split(/[\s,]+/).map(normalizeTag).filter(Boolean);

      function sync() {
        original.value = tags.join(" ");
        list.textContent = "";
        tags.forEach(function (tag, index) {
          var item = document.createElement("li");
          item.className = "chip";
          item.textContent = tag;
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "chip__remove";
          remove.textContent = "×";
          remove.setAttribute("aria-label", (original.getAttribute("data-remove-label") || "Remove %s").replace("%s", tag));
          remove.addEventListener("click", function () {
            tags.splice(index, 1);
            sync();
            entry.focus();
          });
          item.appendChild(remove);
          list.appendChild(item);
        });
      }
      function addFromEntry() {
        entry.value.split(/[\s,]+/).map(normalizeTag).filter(Boolean).forEach(function (tag) {
          if (tags.indexOf(tag) === -1) tags.push(tag);
        });
        entry.value = "";
        sync();
      }
      entry.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === "," || event.key === " ") {
          if (entry.value.trim()) { event.preventDefault(); addFromEntry(); }
          else if (event.key === "Enter") { event.preventDefault(); }
        } else if (event.key === "Backspace" && !entry.value && tags.length) {
          tags.pop();
          sync();
        }
      });
      // Text typed but not yet confirmed still counts: leaving the box (to press Save, say) confirms it,
      // and Enter inside the box confirms instead of submitting.
      entry.addEventListener("blur", addFromEntry);
      box.addEventListener("click", function (event) { if (event.target === box || event.target === list) entry.focus(); });
      sync();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceTags(document); });
  document.addEventListener("htmx:load", function (event) { enhanceTags(event.target); });

  // Collapsible sections of a form: remember which are closed in a hidden field, so a save or an action
  // that redraws the form keeps the agent's layout.
  document.addEventListener("toggle", function (event) {
    var section = event.target;
    if (!section.matches || !section.matches("details[data-section]")) return;
    var form = section.closest("form");
    var store = form && form.querySelector("[data-collapsed-sections]");
    if (!store) return;
    var closed = Array.prototype.map.call(form.querySelectorAll("details[data-section]:not([open])"), function (s) {
      return s.getAttribute("data-section");
    });
    store.value = closed.join(" ");
  }, true);

  // An action opened in place under the profile's header (New ticket): Cancel closes it and gives focus
  // back to the button that opened it; a form that came back with errors puts focus on the first one.
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest ? event.target.closest("[data-closes-action]") : null;
    var slot = cancel && cancel.closest("#profile-action");
    if (!slot) return;
    event.preventDefault();
    slot.textContent = "";
    var opener = document.querySelector("[data-opens-action]");
    if (opener) opener.focus();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var slot = event.detail.target;
    if (!slot || slot.id !== "profile-action") return;
    var invalid = slot.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
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
