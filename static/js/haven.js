// Small behaviour for Haven pages. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    var link = document.querySelector("[data-quick-exit]");
    // replace() keeps this page out of the tab's history: Back does not return here.
    window.location.replace(link ? link.href : "/exit/");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var link = document.querySelector("[data-quick-exit]");
    if (link) { link.addEventListener("click", quickExit); }

    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.querySelector(button.getAttribute("data-copy"));
        if (!field) { return; }
        field.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(field.value); }
        button.textContent = button.getAttribute("data-copied") || "✓";
      });
    });

    // An invitation link carries its code after the # (never sent to the server):
    // fill the form with it, hide the field, and drop it from the address bar.
    var code = document.querySelector("[data-invitation-code]");
    if (code && window.location.hash.length > 1) {
      code.value = decodeURIComponent(window.location.hash.slice(1));
      var row = code.closest("div");
      if (row) { row.hidden = true; }
      window.history.replaceState(null, "", window.location.pathname);
    }

    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }

    sessionWarning(document.querySelector("[data-session-warning]"));
    document.querySelectorAll("[data-warn-unsaved]").forEach(warnUnsaved);
    document.querySelectorAll("[data-add-form]").forEach(addFormRows);
  });

  // Leaving a form with typed, unsaved input (a step link, the address bar) asks first.
  // Its own buttons save, so submitting does not ask.
  function warnUnsaved(form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    form.addEventListener("haven:not-saved", function () { dirty = true; });  // send.js: the server did not take it
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return; }
      event.preventDefault();
      event.returnValue = "";
    });
  }

  // A formset grows one row at a time: the server renders an empty row in a <template>.
  function addFormRows(button) {
    var prefix = button.getAttribute("data-add-form");
    var template = document.querySelector('template[data-prefix="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var rows = document.querySelector("[data-form-rows]");
    if (!template || !total || !rows) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { button.hidden = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild && rows.lastElementChild.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  }

  // Two minutes before the idle timeout, offer to stay signed in (a request: activity).
  // At the timeout, say so: a form saved then is kept on the server until the person logs in again.
  var WARN_BEFORE_MS = 120000;
  function sessionWarning(box) {
    if (!box) { return; }
    var idleMs = parseInt(box.getAttribute("data-idle-seconds"), 10) * 1000;
    if (!(idleMs > 0)) { return; }
    var soon = box.querySelector("[data-session-soon]");
    var ended = box.querySelector("[data-session-ended]");
    var form = box.querySelector("[data-stay-signed-in]");
    var timers = [];

    function show(hasEnded) {
      box.hidden = false;
      document.body.classList.add("has-session-warning");  // room below the page: nothing is hidden under it
      soon.hidden = hasEnded;
      ended.hidden = !hasEnded;
      form.hidden = hasEnded;
    }
    // seconds: what the server says is left of the session (X-Haven-Idle-Seconds); else all of it.
    function schedule(seconds) {
      var left = seconds > 0 ? seconds * 1000 : idleMs;
      timers.forEach(window.clearTimeout);
      box.hidden = true;
      document.body.classList.remove("has-session-warning");
      timers = [
        window.setTimeout(function () { show(false); }, Math.max(left - WARN_BEFORE_MS, left / 2)),
        window.setTimeout(function () { show(true); }, left)
      ];
    }
    // A request sent by a script (an autosave, a form sent by send.js) renewed the session too.
    document.addEventListener("haven:active", function (event) {
      schedule(event.detail && event.detail.idleSeconds);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual" })
        .then(function (response) {
          if (response.status === 204) { schedule(parseInt(response.headers.get("X-Haven-Idle-Seconds") || "", 10)); } else { show(true); }
        })
        .catch(function () { show(true); });
    });
    schedule();
  }

  // Escape twice within a second leaves, as on many support sites.
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 1000) { quickExit(); }
    lastEscape = now;
  });
})();
