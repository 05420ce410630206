// Forms with typed text are sent by this script, so that what was typed stays on the page when the
// server cannot take it: a dropped connection, no answer within TIMEOUT_MS, a 5xx (the database or
// another part is down), or a session that ended. The page then stays as it was, with everything
// typed, and says it was not saved. Any other answer is shown as a normal submit would show it: a
// redirect is followed (the server tells it in X-Haven-Location instead of redirecting: see
// config/sending.py), a page (a form with errors, a refusal) replaces this one.
//
// Progressive enhancement: without this script the forms post as usual. A form opts out with
// data-send-natively. Loaded as a file: the CSP forbids inline script. Nothing is kept in the
// browser's storage (a seized phone would reveal it): unsaved text lives only in the open form, and
// password fields are emptied when a send fails. Strings come from the page ([data-send-texts],
// translated by the template), as debrief.js gets its strings.
(function () {
  "use strict";

  var TIMEOUT_MS = 30000;
  var TYPED = { text: true, search: true, email: true, tel: true, url: true };

  function config() {
    var node = document.querySelector("[data-send-texts]");
    return node ? node.dataset : null;
  }

  function hasTypedText(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      return field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && TYPED[field.type] === true);
    });
  }

  function handled(form) {
    return form.method === "post" && !form.hasAttribute("data-send-natively") &&
      (!form.target || form.target === "_self") && hasTypedText(form);
  }

  // One live region per form, present (empty) from the start so that screen readers announce it;
  // beside the form's buttons, where the person is looking when they press one.
  function statusOf(form) {
    var status = form.querySelector("[data-send-status]");
    if (status) { return status; }
    status = document.createElement("p");
    status.className = "send-status";
    status.setAttribute("data-send-status", "");
    status.setAttribute("aria-live", "polite");
    var button = form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
    var anchor = button && button.parentElement !== form && button.parentElement.parentElement === form ? button.parentElement : button;
    if (anchor && form.contains(anchor)) { anchor.insertAdjacentElement("afterend", status); } else { form.appendChild(status); }
    return status;
  }

  function buttons(form) {
    return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  }

  function busy(form, on) {
    if (on) { form.setAttribute("data-sending", ""); } else { form.removeAttribute("data-sending"); }
    buttons(form).forEach(function (button) {
      if (on) { button.setAttribute("aria-disabled", "true"); } else { button.removeAttribute("aria-disabled"); }
    });
  }

  function say(form, text, problem) {
    var status = statusOf(form);
    status.textContent = text;
    status.classList.toggle("message", problem);
    status.classList.toggle("message--error", problem);
  }

  function notSaved(form, submitter, text) {
    busy(form, false);
    form.querySelectorAll("input[type=password]").forEach(function (field) { field.value = ""; });
    say(form, text, true);
    var status = statusOf(form);
    if (status.scrollIntoView) { status.scrollIntoView({ block: "nearest" }); }
    if (submitter && submitter.focus) { submitter.focus(); }
    // Typed and still unsaved: leaving the page asks first again (haven.js).
    form.dispatchEvent(new CustomEvent("haven:not-saved", { bubbles: true }));
  }

  // The page the server answered with, shown as a normal submit would show it. Its scripts run again.
  function show(html, url) {
    if (url && url !== window.location.href) { window.history.replaceState(null, "", url); }
    document.open();
    document.write(html);
    document.close();
  }

  // Where a redirect goes, loaded as a normal submit would load it. To this page with another #part
  // (a section of it), assign() would only scroll: the page is loaded again at that part instead.
  function go(target) {
    var here = new URL(window.location.href);
    if (target.hash && target.origin === here.origin && target.pathname === here.pathname && target.search === here.search) {
      window.history.scrollRestoration = "manual";
      window.history.replaceState(null, "", target.href);
      window.location.reload();
      return;
    }
    window.location.assign(target.href);
  }

  function body(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || null); } catch (error) {
      data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    }
    if ((form.enctype || "").toLowerCase() === "multipart/form-data") { return data; }
    return new URLSearchParams(data);
  }

  // The server took the request as the signed-in person's: the session was renewed (haven.js
  // restarts its idle countdown, from what the server says is left when it says it).
  function active(response) {
    var seconds = parseInt(response.headers.get("X-Haven-Idle-Seconds") || "", 10);
    document.dispatchEvent(new CustomEvent("haven:active", { detail: { idleSeconds: seconds > 0 ? seconds : null } }));
  }

  function send(form, submitter, mayRefreshToken) {
    var texts = config();
    var action = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    var controller = new AbortController();
    var timer = window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    busy(form, true);
    say(form, texts.sending, false);

    window.fetch(action, {
      method: "POST", body: body(form, submitter), credentials: "same-origin", cache: "no-store",
      // Who the page was shown to: a fresh token is given only to the same person (config/sending.py).
      headers: { "X-Haven-Send": "1", "X-Haven-Person": texts.person || "" }, signal: controller.signal
    }).then(function (response) {
      var location = response.headers.get("X-Haven-Location");
      if (location !== null) {
        window.clearTimeout(timer);
        if (texts.signedIn && response.headers.has("X-Haven-Login") && !response.headers.has("X-Haven-Kept")) {
          return notSaved(form, submitter, texts.signedOut);
        }
        busy(form, false);
        active(response);
        go(new URL(location, action));
        return;
      }
      if (response.status === 403 && response.headers.has("X-Haven-Other-Person")) {
        window.clearTimeout(timer);
        return notSaved(form, submitter, texts.otherPerson);
      }
      var token = response.headers.get("X-Haven-Csrf");
      if (response.status === 403 && token) {
        window.clearTimeout(timer);
        // The page's token is stale (a login in another tab makes a new one): take the fresh one and send once more.
        document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (field) { field.value = token; });
        return mayRefreshToken ? send(form, submitter, false) : notSaved(form, submitter, texts.signedOut);
      }
      if (response.status >= 500) {
        window.clearTimeout(timer);
        return notSaved(form, submitter, texts.unavailable);
      }
      active(response);
      if ((response.headers.get("Content-Type") || "").indexOf("text/html") !== 0) {
        window.clearTimeout(timer);
        busy(form, false);
        window.location.assign(response.url);
        return;
      }
      return response.text().then(function (html) {
        window.clearTimeout(timer);
        show(html, response.url);
      });
    }).catch(function () {
      // No answer, or an answer cut off: it may have arrived. A form with a one-time token sent again
      // is saved once (the server answers with what the first one saved).
      window.clearTimeout(timer);
      notSaved(form, submitter, texts.unreachable);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !config() || !window.fetch || !window.AbortController) { return; }
    if (event.submitter && event.submitter.hasAttribute("formmethod")) { return; }
    if (!handled(form)) { return; }
    if (form.hasAttribute("data-sending")) { event.preventDefault(); return; }  // pressed twice
    if (event.defaultPrevented) { return; }  // another script sends this form
    event.preventDefault();
    send(form, event.submitter, true);
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!config()) { return; }
    document.querySelectorAll("form").forEach(function (form) {
      if (handled(form)) { statusOf(form); }
    });
  });
})();
