// The browser phone: a Twilio Voice SDK Device registered with a short-lived token from
// /console/phone/token, ringing for calls to this agent's identity. Every state is
// said on the page in the agent's language (the words come from data-msg-* attributes).
(function () {
  "use strict";

  // No registration within this long means Twilio cannot be reached from here.
  var REGISTER_TIMEOUT_MS = 10000;

  function start(box) {
    var state = document.getElementById("phone-state");
    var buttons = {};
    ["accept", "reject", "mute", "hangup", "retry"].forEach(function (name) {
      buttons[name] = document.getElementById("phone-" + name);
    });
    var device = null;
    var call = null;
    var watchdog = null;

    function say(key, kind) {
      state.textContent = box.getAttribute("data-msg-" + key) || key;
      state.setAttribute("data-state", key);
      state.className = "phone-state alert mb-2 alert-" + (kind || "secondary");
    }

    function show(names) {
      Object.keys(buttons).forEach(function (name) {
        buttons[name].hidden = names.indexOf(name) < 0;
      });
    }

    function unreachable() {
      if (device && device.state === "registered") { return; }
      say("unreachable", "danger");
      show(["retry"]);
    }

    function fetchToken() {
      return fetch(box.getAttribute("data-token-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": box.getAttribute("data-csrf"), "X-Fragment": "1" }
      }).then(function (r) {
        if (r.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (r.status === 409) { say("not-configured", "warning"); throw new Error("not configured"); }
        if (!r.ok) { say("token-failed", "danger"); show(["retry"]); throw new Error("token " + r.status); }
        return r.json();
      });
    }

    function callEnded() {
      call = null;
      say("ended", "secondary");
      show([]);
      window.setTimeout(function () {
        if (!call && device && device.state === "registered") { say("ready", "success"); }
      }, 3000);
    }

    function incoming(c) {
      call = c;
      say("incoming", "info");
      show(["accept", "reject"]);
      c.on("accept", function () { say("on-call", "success"); show(["mute", "hangup"]); });
      c.on("disconnect", callEnded);
      c.on("cancel", callEnded);
      c.on("reject", callEnded);
      c.on("error", function (e) {
        if (e && (e.code === 31401 || e.code === 31208)) { say("no-microphone", "danger"); }
      });
    }

    function connect() {
      say("connecting", "secondary");
      show([]);
      window.clearTimeout(watchdog);
      watchdog = window.setTimeout(unreachable, REGISTER_TIMEOUT_MS);
      fetchToken().then(function (data) {
        if (typeof window.Twilio === "undefined" || !window.Twilio.Device) {
          unreachable();
          return;
        }
        if (device) { device.destroy(); }
        device = new window.Twilio.Device(data.token, { closeProtection: true, logLevel: "error" });
        device.on("registered", function () {
          window.clearTimeout(watchdog);
          if (!call) { say("ready", "success"); show([]); }
        });
        device.on("unregistered", unreachable);
        device.on("error", unreachable);
        device.on("incoming", incoming);
        device.on("tokenWillExpire", function () {
          fetchToken().then(function (fresh) { device.updateToken(fresh.token); })
            .catch(function () { /* said on the page already */ });
        });
        device.register().catch(unreachable);
      }).catch(function () {
        window.clearTimeout(watchdog);
        if (state.getAttribute("data-state") === "connecting") { unreachable(); }
      });
    }

    buttons.accept.addEventListener("click", function () { if (call) { call.accept(); } });
    buttons.reject.addEventListener("click", function () { if (call) { call.reject(); } });
    buttons.hangup.addEventListener("click", function () { if (call) { call.disconnect(); } });
    buttons.mute.addEventListener("click", function () {
      if (!call) { return; }
      var muted = !call.isMuted();
      call.mute(muted);
      buttons.mute.setAttribute("aria-pressed", String(muted));
    });
    buttons.retry.addEventListener("click", connect);
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("browser-phone");
    if (box && box.getAttribute("data-configured") === "1") { start(box); }
  });
})();
