/* Optional drawn signature: progressive enhancement, no inline styles (strict CSP). */
(function () {
  "use strict";

  function findInput(pad) {
    var next = pad.nextElementSibling;
    if (next && next.tagName === "INPUT" && next.name === "signature") { return next; }
    return document.getElementById("signature");
  }

  function setup(pad) {
    var canvas = pad.querySelector("[data-signature-canvas]");
    if (!canvas || !canvas.getContext) { return; }
    var ctx = canvas.getContext("2d");
    var input = findInput(pad);
    var clear = pad.querySelector("[data-signature-clear]");
    var drawing = false;
    var last = null;
    pad.hidden = false;

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      var sx = rect.width ? canvas.width / rect.width : 1;
      var sy = rect.height ? canvas.height / rect.height : 1;
      return { x: (event.clientX - rect.left) * sx, y: (event.clientY - rect.top) * sy };
    }

    function line(from, to) {
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#1a1a2e";
      ctx.beginPath();
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }

    function finish() {
      if (!drawing) { return; }
      drawing = false;
      last = null;
      if (input) { input.value = canvas.toDataURL("image/png"); }
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button > 0) { return; }
      event.preventDefault();
      drawing = true;
      last = point(event);
      line(last, last);
      try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* not supported */ }
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var current = point(event);
      line(last, current);
      last = current;
    });

    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);

    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        if (input) { input.value = ""; }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-signature-pad]"), setup);
  });
})();
