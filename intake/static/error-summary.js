/* A form sent back with errors: move focus to the summary at the top, so a keyboard or screen
   reader user starts at the list of what to fix (each item links to its field). Without
   JavaScript the summary is still first on the page and announced as an alert. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (!summary) { return; }
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();

    // A link in the summary focuses its field, not just scrolls to it.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      var input = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      if (!input) { return; }
      event.preventDefault();
      input.focus();
    });
  });
})();
