// Debrief sections: autosave, relevance, progress. Loaded as a file: the CSP forbids inline script.
// Nothing is kept in the browser: unsaved answers live only in the open form until the server has them.
//
// The status line says "Saved" only when the server has stored what the form holds: any typing
// takes it back at once. An autosave is sent as static/js/send.js sends a form (X-Haven-Send, see
// config/sending.py), so that a session that ended is told apart from a lost answer, and a CSRF
// token made stale by a login in another tab is replaced.
(function () {
  "use strict";

  var SAVE_TIMEOUT_MS = 15000;  // an autosave with no answer by then is treated as lost
  var RETRY_MS = 3000;
  var SIGNED_OUT_RETRY_MS = 15000;  // while the session has ended: until the person logs in again

  function uuid4() {
    return ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, function (c) {
      return (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16);
    });
  }

  // Characters as the server counts them (code points; a line break is one once the server has
  // normalised CRLF), not UTF-16 units as the browser's maxlength does.
  function lengthOf(value) { return Array.from(value).length; }

  // haven.js restarts its idle countdown: the server renewed the session.
  function active(response) {
    var seconds = parseInt(response.headers.get("X-Haven-Idle-Seconds") || "", 10);
    document.dispatchEvent(new CustomEvent("haven:active", { detail: { idleSeconds: seconds > 0 ? seconds : null } }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-autosave]");
    if (!form) { return; }
    var status = document.querySelector("[data-autosave-status]");
    var progress = document.querySelector("[data-progress]");
    var version = form.querySelector("[data-version]");
    var token = form.querySelector("[data-save-token]");
    var sendTexts = document.querySelector("[data-send-texts]");
    // pending: the body of a save the server may have applied without the page hearing of it. It is
    // sent again exactly as it was (same token, same answers), never with what the form holds now;
    // newer typing is a save of its own once that one is settled. Only its CSRF token may change
    // (a login in another tab): the server refused it before reading it.
    var dirty = false, saving = false, stale = false, timer = null, pending = null, submitter = null;
    var signedOut = false, refreshed = false;
    // A token of this page's own: a duplicated tab (which may restore the hidden field) never shares one.
    token.value = uuid4();

    function text(name, fallback) { return form.getAttribute("data-" + name + "-text") || fallback; }
    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
    }
    function say(message) { if (status) { status.textContent = message; } }
    // Beside the buttons too (send.js's line), where the person looks after pressing Save.
    function sayByButtons(message) {
      var line = form.querySelector("[data-send-status]");
      if (line) { line.textContent = message; }
    }

    // The name a person reads for a field: its label, or its group's.
    function nameOf(field) {
      var label = field.labels && field.labels[0];
      if (!label || field.type === "checkbox" || field.type === "radio") {
        var row = field.closest("form > div");
        label = row && row.querySelector("label, legend");
      }
      return (label ? label.textContent : field.name).trim().replace(/:$/, "");
    }
    function fieldsNamed(name) { return form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']"); }

    // A note beside a field (the server's error, or what the browser cannot send), cleared when
    // the field is fine again. kind keeps the page's own checks apart from the server's answer.
    function note(field, kind, message) {
      var id = (field.id || field.name) + "-" + kind + "-note";
      var node = document.getElementById(id);
      if (!message) {
        if (node) { node.remove(); }
        if (!form.querySelector("[data-note-for='" + field.name.replace(/'/g, "") + "']")) { field.removeAttribute("aria-invalid"); }
        return;
      }
      if (!node) {
        node = document.createElement("ul");
        node.className = "errorlist";
        node.id = id;
        node.setAttribute("data-note-for", field.name);
        node.setAttribute("data-note-kind", kind);
        node.appendChild(document.createElement("li"));
        var anchor = field.type === "checkbox" || field.type === "radio" ? field.closest("form > div") || field : field;
        anchor.insertAdjacentElement(anchor === field ? "beforebegin" : "beforeend", node);
        var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (described.indexOf(id) === -1) { field.setAttribute("aria-describedby", described.concat([id]).join(" ")); }
      }
      node.firstChild.textContent = message;
      field.setAttribute("aria-invalid", "true");
    }
    function clearNotes(kind) {
      form.querySelectorAll("[data-note-kind='" + kind + "']").forEach(function (node) {
        var field = fieldsNamed(node.getAttribute("data-note-for"))[0];
        if (field) { note(field, kind, ""); } else { node.remove(); }
      });
    }

    // The browser's maxlength would cut a long paste without a word: the limit is checked here
    // instead, and what does not fit stays on the page, named, until the person shortens it.
    form.querySelectorAll("textarea[maxlength], input[maxlength]").forEach(function (field) {
      field.setAttribute("data-max-length", field.getAttribute("maxlength"));
      field.removeAttribute("maxlength");
    });

    // Fields whose value cannot be sent as the person sees it: a number field holding "300-400"
    // (the browser sends it empty, which would erase the answer), a text longer than the limit.
    // While there is one, nothing is autosaved: the page names it instead.
    function unsendable() {
      var found = [];
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || field.disabled) { return; }
        var problem = "";
        var max = parseInt(field.getAttribute("data-max-length") || "", 10);
        var over = max > 0 ? lengthOf(field.value) - max : 0;
        if (field.validity && field.validity.badInput) {
          problem = text("unreadable", "This cannot be read as it is: correct it.");
        } else if (over > 0) {
          problem = fill(text("too-long", "{count} characters too many: at most {max} fit. Shorten it."), {count: over, max: max});
        }
        note(field, "local", problem);
        if (problem) { found.push(field); }
      });
      return found;
    }

    function notSavedNaming(fields) {
      var names = [];
      fields.forEach(function (field) {
        var name = "“" + nameOf(field) + "”";
        if (names.indexOf(name) === -1) { names.push(name); }
      });
      return fill(text("not-saved", "Not saved: correct {fields}."), {fields: names.join(", ")});
    }

    function settled() {
      saving = false;
      if (submitter) {  // Save was pressed while a save was on its way: send the form now, whole
        var button = submitter;
        submitter = null;
        pending = null;
        sayByButtons("");
        form.requestSubmit(button === form ? undefined : button);
        return true;
      }
      return false;
    }

    function retryIn(ms) {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, ms);
    }

    // The session ended (the answer sends to the login page): nothing was written. The body is
    // kept, and tried again now and then, and whenever the person comes back to this tab.
    function endedSession(message) {
      signedOut = true;
      if (settled()) { return; }
      say(message);
      retryIn(SIGNED_OUT_RETRY_MS);
    }

    function save() {
      if (saving || stale) { return; }
      if (!pending) {
        if (!dirty) { return; }
        var blocked = unsendable();
        if (blocked.length) { say(notSavedNaming(blocked)); return; }  // dirty stays: leaving still asks
        dirty = false;
        pending = new FormData(form);
      }
      saving = true;
      if (!signedOut) { say(text("saving", "Saving…")); }
      var controller = new AbortController();
      var deadline = window.setTimeout(function () { controller.abort(); }, SAVE_TIMEOUT_MS);
      fetch(form.action || window.location.pathname, {
        method: "POST", body: pending, credentials: "same-origin", cache: "no-store", signal: controller.signal,
        // As send.js sends: a login redirect is told (X-Haven-Login), a stale CSRF token replaced (config/sending.py).
        headers: {"X-Autosave": "1", "X-Haven-Send": "1", "X-Haven-Person": sendTexts ? sendTexts.getAttribute("data-person") || "" : ""}
      }).then(function (response) {
        if (response.headers.has("X-Haven-Location") || response.status === 401) {
          window.clearTimeout(deadline);
          saving = false;
          return endedSession(text("signed-out", "Your session ended: log in again (in another tab), your text is kept here."));
        }
        var fresh = response.headers.get("X-Haven-Csrf");
        if (response.status === 403 && (fresh || response.headers.has("X-Haven-Other-Person"))) {
          window.clearTimeout(deadline);
          saving = false;
          if (!fresh) {  // someone else signed in on this browser: never sent under their name
            return endedSession(sendTexts && sendTexts.getAttribute("data-other-person") || "Not saved: someone else is signed in.");
          }
          document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (field) { field.value = fresh; });
          if (refreshed) {  // refused again with a fresh token: not a token problem, so not retried at once
            refreshed = false;
            return endedSession(text("signed-out", "Your session ended: log in again (in another tab), your text is kept here."));
          }
          refreshed = true;
          if (pending) { pending.set("csrfmiddlewaretoken", fresh); }
          if (settled()) { return; }
          save();
          return;
        }
        return response.json().then(function (data) {
          window.clearTimeout(deadline);
          return {status: response.status, data: data, response: response};
        });
      }).then(function (result) {
        if (!result) { return; }
        signedOut = false;
        refreshed = false;
        active(result.response);
        clearNotes("server");
        if (result.status === 200) {
          pending = null;
          version.value = result.data.version;
          token.value = uuid4();  // the next save is a new one
          if (progress) { progress.textContent = result.data.progress + "%"; }
          if (settled()) { return; }
          if (dirty) { say(text("unsaved", "Not saved yet")); schedule(); } else { say(text("saved", "Saved")); }
          return;
        }
        // Refused: nothing was written. The answers stay unsaved (and the page says why).
        pending = null;
        dirty = true;
        var named = showFieldErrors(result.data.fields);
        if (result.status === 409) {  // another window saved since: sending the form would be refused too
          stale = true;
          submitter = null;
          saving = false;
          sayByButtons("");
        } else if (settled()) {
          return;  // the whole form, sent normally, comes back with the server's word on each field
        }
        say([result.data.error || "", named.length ? notSavedNaming(named) : ""].join(" ").trim());
      }).catch(function () {
        // No answer within SAVE_TIMEOUT_MS, dropped, or not JSON (a proxy's error page): the server
        // may have applied it. Sent again exactly as it was.
        window.clearTimeout(deadline);
        if (settled()) { return; }
        say(text("retry", "Not saved yet: retrying"));
        retryIn(RETRY_MS);
      });
    }

    // The server's word on each field of a refused autosave: {name: [messages]}, or the names only.
    function showFieldErrors(fields) {
      var named = [];
      if (!fields) { return named; }
      var names = Array.isArray(fields) ? fields : Object.keys(fields);
      names.forEach(function (name) {
        var field = fieldsNamed(name)[0];
        if (!field) { return; }
        var messages = Array.isArray(fields) ? [] : [].concat(fields[name]);
        note(field, "server", messages.join(" ") || text("field-error", "Not saved: correct this answer."));
        named.push(field);
      });
      return named;
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 800);
    }

    function edited() {
      dirty = true;
      var blocked = unsendable();  // a long paste is named at once, not after the pause
      if (!stale && !signedOut) { say(blocked.length ? notSavedNaming(blocked) : text("unsaved", "Not saved yet")); }
      schedule();
      applyRelevance();
    }
    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    // Back to this tab (perhaps after logging in again in another): try at once.
    window.addEventListener("focus", function () { if (signedOut && !saving) { save(); } });
    document.addEventListener("visibilitychange", function () {
      if (signedOut && !saving && document.visibilityState === "visible") { save(); }
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty || saving || pending) { event.preventDefault(); }
    });
    // send.js could not save the form: it is unsaved again, and autosaved as any typing is.
    form.addEventListener("haven:not-saved", function () { dirty = true; schedule(); });
    form.addEventListener("submit", function (event) {
      window.clearTimeout(timer);
      if (saving) {  // one save at a time: the form is sent when the one on its way is settled
        event.preventDefault();
        submitter = event.submitter || form;
        var waiting = text("waiting", "Waiting for the autosave on its way (at most 15 seconds), then saving…");
        say(waiting);
        sayByButtons(waiting);
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
