(function () {
  "use strict";
  // A print button only makes sense with JavaScript; without it the browser's own Print works.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
