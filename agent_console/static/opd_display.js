// The waiting-hall display: asks for the now-serving tokens every few seconds and
// redraws them, without reloading the page. Words come from the page (both languages).
(function () {
  "use strict";
  var hall = document.getElementById("hall");
  if (!hall) { return; }
  var url = hall.getAttribute("data-url");
  var every = parseInt(hall.getAttribute("data-every") || "3000", 10);
  var shown = {};

  function words(name, slot, value) {
    var hi = hall.getAttribute("data-" + name + "-hi").replace("{" + slot + "}", value);
    var en = hall.getAttribute("data-" + name + "-en").replace("{" + slot + "}", value);
    return [hi, en];
  }

  function bilingual(el, pair, separator) {
    el.textContent = "";
    var hi = document.createElement("span");
    hi.lang = "hi"; hi.textContent = pair[0];
    var en = document.createElement("span");
    en.lang = "en"; en.textContent = pair[1];
    el.appendChild(hi);
    el.appendChild(document.createTextNode(separator));
    el.appendChild(en);
  }

  function draw(data) {
    var rooms = document.getElementById("rooms");
    rooms.textContent = "";
    if (!data.rooms.length) {
      var none = document.createElement("p");
      none.className = "none";
      // A token called today and none in a room now: "none being served now".
      var idle = data.called_today ? "none_now" : "none";
      bilingual(none, [hall.getAttribute("data-" + idle + "-hi"), hall.getAttribute("data-" + idle + "-en")], " / ");
      rooms.appendChild(none);
    }
    data.rooms.forEach(function (r) {
      var box = document.createElement("section");
      box.className = "room" + (shown[r.room] !== undefined && shown[r.room] !== r.token ? " changed" : "");
      box.setAttribute("data-room", String(r.room));
      var head = document.createElement("h2");
      bilingual(head, words("room", "room", String(r.room)), " ");
      var token = document.createElement("p");
      token.className = "token";
      token.setAttribute("data-token", "");
      token.textContent = String(r.token);
      box.appendChild(head);
      box.appendChild(token);
      rooms.appendChild(box);
      shown[r.room] = r.token;
    });
    bilingual(document.getElementById("waiting"), words("waiting", "n", String(data.waiting)), " · ");
    // Called and not there: told to go to the counter, which can call them again.
    var skipped = document.getElementById("skipped");
    var missed = (data.skipped || []).join(", ");
    skipped.hidden = !missed;
    bilingual(skipped, words("skipped", "tokens", missed), " ");
    hall.setAttribute("data-refreshed", String(Date.now()));
  }

  function tick() {
    fetch(url, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* the network blinked: the next tick tries again */ });
  }
  window.setInterval(tick, every);
})();
