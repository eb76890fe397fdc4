/* Manyi: live SLA countdowns, action tabs and keyboard shortcuts. No dependencies. */
(function () {
  "use strict";

  // Phrases come from the server (same translations as the first rendering).
  var phrases = { dueIn: "due in %(t)s", overdue: "overdue %(t)s", days: "%(d)d d %(h)d h",
    hours: "%(h)d h %(m)d min", minutes: "%(m)d min" };
  try {
    var given = document.getElementById("manyi-i18n");
    if (given) phrases = JSON.parse(given.textContent);
  } catch (e) { /* keep the English defaults */ }

  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (_, key) { return String(values[key]); });
  }

  function duration(minutes) {
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) return fill(phrases.days, { d: days, h: hours });
    if (hours) return fill(phrases.hours, { h: hours, m: mins });
    return fill(phrases.minutes, { m: mins });
  }

  function tick(root) {
    var now = Date.now();
    (root || document).querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var seconds = (due - now) / 1000;
      var minutes = Math.floor(Math.abs(seconds) / 60);
      el.textContent = fill(seconds < 0 ? phrases.overdue : phrases.dueIn, { t: duration(minutes) });
      el.classList.toggle("is-overdue", seconds < 0);
      el.classList.toggle("is-soon", seconds >= 0 && seconds <= 3600);
    });
  }

  function initTabs(root) {
    (root || document).querySelectorAll("[data-tabs]").forEach(function (box) {
      if (box.dataset.tabsReady) return;
      box.dataset.tabsReady = "1";
      box.addEventListener("click", function (ev) {
        var btn = ev.target.closest("[data-tab]");
        if (!btn || !box.contains(btn)) return;
        var name = btn.getAttribute("data-tab");
        box.querySelectorAll("[data-tab]").forEach(function (b) {
          b.classList.toggle("active", b === btn);
        });
        box.querySelectorAll("[data-panel]").forEach(function (p) {
          p.classList.toggle("hidden", p.getAttribute("data-panel") !== name);
        });
        var first = box.querySelector('[data-panel="' + name + '"] textarea, [data-panel="' + name + '"] select, [data-panel="' + name + '"] input:not([type=hidden])');
        if (first) first.focus();
      });
    });
  }

  function submit(form) {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    var form = el && el.closest ? el.closest("form[data-submit-shortcuts]") : null;
    // Ctrl+Enter (or Cmd+Enter) saves from anywhere in the form, textareas included.
    if (form && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submit(form);
      return;
    }
    // Enter in the phone field looks the caller up and moves on instead of saving.
    if (el && el.hasAttribute && el.hasAttribute("data-enter-lookup") && ev.key === "Enter") {
      ev.preventDefault();
      if (window.htmx) window.htmx.trigger(el, "lookup");
      return;
    }
    // Enter on a select, checkbox or radio saves like it does in a text field.
    if (form && ev.key === "Enter" && !ev.shiftKey && !ev.altKey &&
        (el.tagName === "SELECT" || (el.tagName === "INPUT" && /^(checkbox|radio)$/.test(el.type)))) {
      ev.preventDefault();
      submit(form);
      return;
    }
    // "/" jumps to the search box of the case list.
    if (ev.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && !el.isContentEditable) {
      var q = document.getElementById("id_q");
      if (q) {
        ev.preventDefault();
        q.focus();
        q.select();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    initTabs();
    setInterval(tick, 30000);
  });
  document.addEventListener("htmx:afterSettle", function (ev) {
    tick(ev.target);
    initTabs(ev.target.parentNode || document);
  });
})();
