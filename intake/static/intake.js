/* Show a question's detail box only when it is answered "yes" (no inline styles, strict CSP). */
(function () {
  "use strict";

  function setup(group) {
    var detail = group.querySelector("[data-detail]");
    if (!detail) { return; }
    var radios = group.querySelectorAll('input[type="radio"]');
    var checked = group.querySelector('input[type="radio"]:checked');
    var text = detail.querySelector("textarea");
    var hasText = text && text.value.trim() !== "";
    var hasError = detail.classList.contains("has-error");

    if (!(checked && checked.value === "yes") && !hasText && !hasError) {
      detail.hidden = true;
    }

    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener("change", function () {
        if (!radio.checked) { return; }
        if (radio.value === "yes") {
          detail.hidden = false;
        } else if (radio.value === "no") {
          detail.hidden = true;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-detail-toggle]"), setup);
  });
})();
