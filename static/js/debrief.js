// Debrief sections: autosave, relevance, progress. Loaded as a file: the CSP forbids inline script.
// Nothing is kept in the browser: unsaved answers live only in the open form until the server has them.
(function () {
  "use strict";

  function uuid4() {
    return ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, function (c) {
      return (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-autosave]");
    if (!form) { return; }
    var status = document.querySelector("[data-autosave-status]");
    var progress = document.querySelector("[data-progress]");
    var version = form.querySelector("[data-version]");
    var token = form.querySelector("[data-save-token]");
    var dirty = false, saving = false, stale = false, timer = null;

    function say(text) { if (status) { status.textContent = text; } }

    function save() {
      if (!dirty || saving || stale) { return; }
      saving = true;
      dirty = false;
      var body = new FormData(form);
      fetch(form.action || window.location.pathname, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-Autosave": "1"}
      }).then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; });
      }).then(function (result) {
        saving = false;
        if (result.status === 200) {
          version.value = result.data.version;
          token.value = uuid4();  // the next save is a new one; a retry of this one kept its token
          if (progress) { progress.textContent = result.data.progress + "%"; }
          say(form.getAttribute("data-saved-text") || "Saved");
          if (dirty) { schedule(); }
        } else if (result.status === 409) {
          stale = true;
          say(result.data.error);
        } else {
          say(result.data.error || "");
        }
      }).catch(function () {
        // A dropped request: keep the answers marked unsaved and try again with the same token,
        // so a save that did arrive (but whose answer was lost) is not applied twice.
        saving = false;
        dirty = true;
        say(form.getAttribute("data-retry-text") || "Not saved yet: retrying");
        timer = window.setTimeout(save, 3000);
      });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 800);
    }

    form.addEventListener("input", function () { dirty = true; schedule(); applyRelevance(); });
    form.addEventListener("change", function () { dirty = true; schedule(); applyRelevance(); });
    window.addEventListener("beforeunload", function (event) {
      if (dirty || saving) { event.preventDefault(); }
    });
    form.addEventListener("submit", function () { dirty = false; window.clearTimeout(timer); });

    // Relevance: data-relevant-key / data-relevant-value on a question's row (set by the server).
    function valueOf(key) {
      var fields = form.querySelectorAll("[name='" + key + "']");
      var values = [];
      fields.forEach(function (field) {
        if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { return; }
        if (field.value) { values.push(field.value); }
      });
      return values;
    }
    function applyRelevance() {
      form.querySelectorAll("[data-relevant-key]").forEach(function (field) {
        var row = field.closest("form > div");
        if (!row) { return; }
        var values = valueOf(field.getAttribute("data-relevant-key"));
        var wanted = field.getAttribute("data-relevant-value");
        row.hidden = wanted ? values.indexOf(wanted) === -1 : values.length === 0;
      });
    }
    applyRelevance();
  });
})();
