// The console's small amount of script: refresh live fragments, a callback badge, and
// keyboard shortcuts. Pages work without it; it only saves reloading.
(function () {
  "use strict";

  function typingIn(el) {
    var active = document.activeElement;
    return active && el.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function poll(el) {
    var url = el.getAttribute("data-poll");
    var every = parseInt(el.getAttribute("data-interval") || "10000", 10);
    var last = null;
    function tick() {
      if (document.hidden || typingIn(el)) { return; }
      fetch(url, { headers: { "X-Fragment": "1" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
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
  });
})();
