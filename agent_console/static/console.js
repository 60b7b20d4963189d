// The console's small amount of script: refresh live fragments, a callback badge, and
// keyboard shortcuts. Pages work without it; it only saves reloading.
(function () {
  "use strict";

  function typingIn(el) {
    var active = document.activeElement;
    return active && el.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  // A field in el changed and not sent yet: typed text, a chosen option, a ticked box.
  // Redrawing el would throw it away, so its poll waits until the form is sent.
  function editedIn(el) {
    return Array.prototype.some.call(el.querySelectorAll("input, textarea, select"), function (f) {
      if (f.tagName === "SELECT") {  // with no option marked, a list starts on its first
        var unmarked = !Array.prototype.some.call(f.options, function (o) { return o.defaultSelected; });
        return Array.prototype.some.call(f.options, function (o, i) {
          return o.selected !== (o.defaultSelected || (unmarked && !f.multiple && i === 0));
        });
      }
      if (f.type === "checkbox" || f.type === "radio") { return f.checked !== f.defaultChecked; }
      if (/^(hidden|submit|button|reset|image|file)$/.test(f.type)) { return false; }
      return f.value !== f.defaultValue;
    });
  }

  // Text typed into a form and not sent yet (the sign-in page would lose it).
  function unsentText() {
    return Array.prototype.some.call(
      document.querySelectorAll("form[method=post] textarea, form[method=post] input[type=text]"),
      function (el) { return el.value.trim() !== "" && el.value !== el.defaultValue; });
  }

  // The session ended (signed out in another tab, or idle): reload, which shows the
  // sign-in page, unless the agent has typed something; then stop polling and say so:
  // sending the form signs in again and puts the text back (see keepDrafts).
  var signedOut = false;
  function sessionEnded() {
    if (signedOut) { return; }
    if (!unsentText()) { window.location.reload(); return; }
    signedOut = true;
    var main = document.getElementById("main");
    var live = document.getElementById("live");
    if (main && live && live.getAttribute("data-signed-out")) {
      var note = document.createElement("p");
      note.className = "flash info alert alert-warning py-2";
      note.setAttribute("role", "status");
      note.id = "signed-out-note";
      note.textContent = live.getAttribute("data-signed-out");
      main.insertBefore(note, main.firstChild);
    }
  }

  function poll(el) {
    var url = el.getAttribute("data-poll");
    var every = parseInt(el.getAttribute("data-interval") || "10000", 10);
    var last = null;
    function tick() {
      if (signedOut || document.hidden || typingIn(el) || editedIn(el)) { return; }
      fetch(url, { headers: { "X-Fragment": "1" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { sessionEnded(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null && html !== last) {
            last = html;
            el.innerHTML = html;
            el.setAttribute("data-refreshed", String(Date.now()));
          }
        })
        .catch(function () { /* offline for a moment: try again next tick */ });
    }
    window.setInterval(tick, every);
  }

  function liveBadge() {
    var box = document.getElementById("live");
    var badge = document.querySelector("[data-live-callbacks]");
    if (!box || !badge) { return; }
    function tick() {
      if (document.hidden) { return; }
      fetch(box.getAttribute("data-live-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          badge.textContent = String(data.callbacks_waiting);
          badge.hidden = data.callbacks_waiting === 0;
        })
        .catch(function () {});
    }
    tick();
    window.setInterval(tick, 10000);
  }

  function departmentsFollowHospital() {
    var hospital = document.getElementById("transfer-hospital");
    var department = document.getElementById("transfer-department");
    if (!hospital || !department) { return; }
    function sync() {
      Array.prototype.forEach.call(department.options, function (opt) {
        var h = opt.getAttribute("data-hospital");
        opt.hidden = h !== null && h !== hospital.value;
      });
      var chosen = department.options[department.selectedIndex];
      if (chosen && chosen.hidden) { department.value = ""; }
    }
    hospital.addEventListener("change", sync);
    sync();
  }

  // Cancel, close and transfer ask first; so does booking a slot that overlaps another
  // appointment of the same patient.
  function confirmations() {
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      var question = form.getAttribute("data-confirm");
      var chosen = form.querySelector("input[type=radio][data-overlap]:checked");
      if (!question && chosen) { question = chosen.getAttribute("data-overlap"); }
      if (question && !window.confirm(question)) { ev.preventDefault(); }
    });
  }

  // What an agent types survives a session that ended meanwhile: each form's fields are
  // kept in this tab's sessionStorage when it is sent; the server answers an expired
  // session with the sign-in page, which comes back to "<page>#restore", where they are
  // put back. Any other page forgets them.
  var DRAFT = "console-draft:";
  function keepDrafts() {
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (ev.defaultPrevented || form.method.toLowerCase() !== "post" || form.id === "login-form") { return; }
      var fields = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "hidden" || el.type === "password" || el.type === "submit") { return; }
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
        fields.push([el.name, el.value, el.type]);
      });
      try { window.sessionStorage.setItem(DRAFT + form.action, JSON.stringify(fields)); } catch (e) { /* storage full or off */ }
    }, false);
  }

  function restoreDrafts() {
    var storage;
    try { storage = window.sessionStorage; } catch (e) { return; }
    if (document.getElementById("login-form")) { return; }
    if (window.location.hash === "#restore") {
      Array.prototype.forEach.call(document.querySelectorAll("form[method=post]"), function (form) {
        var saved = storage.getItem(DRAFT + form.action);
        if (!saved) { return; }
        JSON.parse(saved).forEach(function (field) {
          var name = field[0], value = field[1], type = field[2];
          Array.prototype.forEach.call(form.elements, function (el) {
            if (el.name !== name) { return; }
            if (type === "radio" || type === "checkbox") { el.checked = el.value === value; }
            else { el.value = value; }
          });
        });
        var first = form.querySelector("textarea, input:not([type=hidden])");
        if (first) { first.focus(); }
      });
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    for (var i = storage.length - 1; i >= 0; i--) {
      var key = storage.key(i);
      if (key && key.indexOf(DRAFT) === 0) { storage.removeItem(key); }
    }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
      var search = document.getElementById("search");
      if (search) { ev.preventDefault(); search.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
    liveBadge();
    departmentsFollowHospital();
    restoreDrafts();
  });
  confirmations();
  keepDrafts();
})();
