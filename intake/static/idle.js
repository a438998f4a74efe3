/* Staff sessions end after some minutes without a request (a server rule, for patients'
   privacy). Warn before that happens and offer to stay; while someone types into this page,
   keep the session going, so a long note is not lost when it is finally sent. Every renewal
   is a POST the server checks (CSRF, and that the session has not already ended). Tabs tell
   each other when the session now ends (a time, nothing else, in localStorage), so a tab
   left alone does not warn while another is in use. */
(function () {
  "use strict";

  var LEAD_MS = 2 * 60 * 1000; // warn this long before the end
  var TYPING_RENEWAL_MS = 60 * 1000; // renew for typing at most this often (or a quarter of the limit)
  var TICK_MS = 1000;
  var SHARED_KEY = "intake-staff-session-ends";

  function setup(box) {
    var form = box.querySelector("form");
    var stay = box.querySelector("[data-idle-stay]");
    var message = box.querySelector("[data-idle-message]");
    var ended = box.querySelector("[data-idle-ended]");
    var countdown = box.querySelector("[data-idle-countdown]");
    var idleMs = Number(box.getAttribute("data-idle-seconds")) * 1000;
    var lead = Math.min(LEAD_MS, idleMs / 2);
    var typingRenewal = Math.min(TYPING_RENEWAL_MS, idleMs / 4);
    var renewedAt = Date.now();
    var endsAt = 0;
    var typedSinceRenewal = false;
    var sending = false;
    var over = false;

    function showEnded() {
      over = true;
      message.hidden = true;
      stay.hidden = true;
      ended.hidden = false;
      box.hidden = false;
    }

    function inWords(ms) {
      var seconds = Math.max(1, Math.round(ms / 1000));
      if (seconds < 90) { return "in " + seconds + " seconds"; }
      return "in " + Math.round(seconds / 60) + " minutes";
    }

    function endAt(time, share) {
      endsAt = Math.max(endsAt, time);
      if (Date.now() < endsAt - lead) { box.hidden = true; }
      if (share) {
        try { window.localStorage.setItem(SHARED_KEY, String(endsAt)); } catch (e) { /* private mode */ }
      }
    }

    function renew() {
      if (sending || over) { return; }
      sending = true;
      typedSinceRenewal = false;
      // "manual": an ended session answers with a redirect to sign in, not a 204.
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        redirect: "manual"
      }).then(function (response) {
        sending = false;
        if (response.status === 204) {
          renewedAt = Date.now();
          endAt(renewedAt + idleMs, true);
        } else {
          showEnded();
        }
      }, function () {
        sending = false; // offline for a moment: the next tick or click tries again
      });
    }

    function tick() {
      if (over) { return; }
      var now = Date.now();
      if (now >= endsAt) {
        showEnded();
      } else if (typedSinceRenewal && now - renewedAt >= typingRenewal) {
        renew();
      } else if (now >= endsAt - lead && box.hidden) {
        // Said once as it appears: an alert rewritten every second is read out every second.
        countdown.textContent = inWords(endsAt - now);
        box.hidden = false;
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      renew();
    });
    document.addEventListener("input", function (event) {
      if (!box.contains(event.target)) { typedSinceRenewal = true; }
    });
    window.addEventListener("storage", function (event) {
      if (event.key === SHARED_KEY && !over) { endAt(Number(event.newValue) || 0, false); }
    });
    endAt(renewedAt + Number(box.getAttribute("data-idle-left")) * 1000, true);
    window.setInterval(tick, TICK_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("idle-warning");
    if (box && window.fetch && window.FormData) { setup(box); }
  });
})();
