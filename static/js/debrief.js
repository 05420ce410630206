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
    // pending: the body of a save the server may have applied without the page hearing of it. It is
    // sent again exactly as it was (same token, same answers), never with what the form holds now;
    // newer typing is a save of its own once that one is settled.
    var dirty = false, saving = false, stale = false, timer = null, pending = null, submitter = null;
    // A token of this page's own: a duplicated tab (which may restore the hidden field) never shares one.
    token.value = uuid4();

    function say(text) { if (status) { status.textContent = text; } }

    function settled() {
      saving = false;
      if (submitter) {  // Save was pressed while a save was on its way: send the form now, whole
        var button = submitter;
        submitter = null;
        pending = null;
        form.requestSubmit(button === form ? undefined : button);
        return true;
      }
      return false;
    }

    function save() {
      if (saving || stale) { return; }
      if (!pending) {
        if (!dirty) { return; }
        dirty = false;
        pending = new FormData(form);
      }
      saving = true;
      fetch(form.action || window.location.pathname, {
        method: "POST", body: pending, credentials: "same-origin",
        headers: {"X-Autosave": "1"}
      }).then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; });
      }).then(function (result) {
        if (result.status === 200) {
          pending = null;
          version.value = result.data.version;
          token.value = uuid4();  // the next save is a new one
          if (progress) { progress.textContent = result.data.progress + "%"; }
          if (settled()) { return; }
          if (dirty) { schedule(); } else { say(form.getAttribute("data-saved-text") || "Saved"); }
          return;
        }
        // Refused: nothing was written. The answers stay unsaved (and the page says why).
        pending = null;
        dirty = true;
        if (result.status === 409) {  // another window saved since: sending the form would be refused too
          stale = true;
          submitter = null;
          saving = false;
        } else if (settled()) {
          return;  // the whole form, sent normally, comes back with the server's word on each field
        }
        say(result.data.error || "");
      }).catch(function () {
        // No answer (dropped, or not JSON: a proxy's error page): the server may have applied it.
        if (settled()) { return; }
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
      if (dirty || saving || pending) { event.preventDefault(); }
    });
    form.addEventListener("submit", function (event) {
      window.clearTimeout(timer);
      if (saving) {  // one save at a time: the form is sent when the one on its way is settled
        event.preventDefault();
        submitter = event.submitter || form;
        return;
      }
      // A save that may have been applied is superseded by this one, under the same token:
      // the server stores these newer answers on top of it.
      dirty = false;
      pending = null;
    });

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
