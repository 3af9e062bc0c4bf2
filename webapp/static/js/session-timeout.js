/* The idle sign-out warning: a dialog shown before the server signs an idle session out,
   offering "Stay signed in" (a POST that starts the idle clock again). Focus moves into the
   dialog and it is announced; Escape also keeps the session. Without JavaScript nothing shows:
   the server still signs out, and sign-in returns to the page. */
(function () {
  "use strict";
  var dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) {
    return;
  }
  var warnBefore = parseInt(dialog.getAttribute("data-warn-before"), 10) || 0;
  var deadline = Date.now() + (parseInt(dialog.getAttribute("data-seconds-left"), 10) || 0) * 1000;
  var leftText = dialog.querySelector(".session-timeout__left");
  var announce = document.getElementById("session-timeout-announce");
  var stayButton = dialog.querySelector('[data-session="stay"]');
  var warnTimer = null;
  var ticker = null;
  var lastFocus = null;
  var lastAnnounced = "";

  function secondsLeft() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }

  function words(seconds) {
    if (seconds >= 60) {
      var minutes = Math.ceil(seconds / 60);
      return minutes + (minutes === 1 ? " minute" : " minutes");
    }
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearInterval(ticker);
    warnTimer = window.setTimeout(warn, Math.max(0, deadline - warnBefore * 1000 - Date.now()));
  }

  function update() {
    var left = secondsLeft();
    var text = words(left);
    leftText.textContent = text;
    // Announce the minutes as they change (and the last 20 seconds once), not every tick.
    var spoken = left >= 60 ? text : (left <= 20 ? "20 seconds" : "");
    if (spoken && spoken !== lastAnnounced) {
      lastAnnounced = spoken;
      announce.textContent = "You will be signed out in " + text + ".";
    }
    if (left <= 0) {
      expire();
    }
  }

  function warn() {
    lastFocus = document.activeElement;
    lastAnnounced = "";
    update();
    if (!dialog.open) {
      dialog.showModal();
    }
    stayButton.focus();
    document.dispatchEvent(new CustomEvent("dw:session-warning"));
    ticker = window.setInterval(update, 1000);
  }

  function close() {
    window.clearInterval(ticker);
    if (dialog.open) {
      dialog.close();
    }
    announce.textContent = "";
    if (lastFocus && typeof lastFocus.focus === "function") {
      lastFocus.focus();
    }
  }

  function expire() {
    window.clearInterval(ticker);
    window.clearTimeout(warnTimer);
    // Ask for this page again: the server signs the idle session out and offers sign-in,
    // which comes back here.
    window.location.assign(window.location.pathname + window.location.search);
  }

  function extended(seconds) {
    deadline = Date.now() + seconds * 1000;
    schedule();
  }

  function stay() {
    window.fetch(dialog.getAttribute("data-keep-alive"), {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"X-CSRFToken": dialog.getAttribute("data-csrf"), "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("signed out");
      }
      return response.json();
    }).then(function (body) {
      close();
      extended(body.seconds_left);
    }).catch(expire);
  }

  stayButton.addEventListener("click", stay);
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();  // Escape keeps the session rather than leaving it to run out
    stay();
  });
  // Another request of this page (a draft's autosave) started the idle clock again.
  document.addEventListener("dw:session-extended", function (event) {
    if (event.detail && event.detail.secondsLeft && !dialog.open) {
      extended(event.detail.secondsLeft);
    }
  });
  schedule();
}());
