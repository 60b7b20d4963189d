// The counter's QR scanner: the device camera, decoded by the browser's BarcodeDetector
// where it reads QR codes, else by jsQR (vendored). A code read (a booking's or an eHealth
// card's) fills the box and sends the check-in form; the server checks its signature.
(function () {
  "use strict";
  var form = document.getElementById("check-in-form");
  var start = document.getElementById("scan-start");
  if (!form || !start) { return; }
  var stop = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var failed = document.getElementById("scan-error");
  var input = document.getElementById("code");
  var stream = null;
  var detector = null;

  function finish() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function found(text) {
    finish();
    input.value = text;
    form.setAttribute("data-scanned", "1");
    form.submit();
  }

  function withJsQR() {
    if (!video.videoWidth) { return null; }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return code ? code.data : null;
  }

  function frame() {
    if (!stream) { return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); } else { window.setTimeout(frame, 150); }
      }).catch(function () { detector = null; window.setTimeout(frame, 150); });
      return;
    }
    var text = withJsQR();
    if (text) { found(text); } else { window.setTimeout(frame, 150); }
  }

  function chooseDecoder() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats()
      .then(function (formats) {
        return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      })
      .catch(function () { return null; });
  }

  start.addEventListener("click", function () {
    failed.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { failed.hidden = false; return; }
    chooseDecoder().then(function (d) {
      detector = d;
      form.setAttribute("data-decoder", d ? "BarcodeDetector" : "jsQR");
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      stop.hidden = false;
      start.hidden = true;
      return video.play();
    }).then(frame).catch(function () { finish(); failed.hidden = false; });
  });
  stop.addEventListener("click", finish);
})();
