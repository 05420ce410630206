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
  });

  // Escape twice within a second leaves, as on many support sites.
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 1000) { quickExit(); }
    lastEscape = now;
  });
})();
