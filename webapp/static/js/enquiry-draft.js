/* Keeps a new case's form as a draft on the server while it is typed (and when the idle
   sign-out warning shows), so a sign-out loses nothing. Without JavaScript the form's
   "Save draft" button does the same. */
(function () {
  "use strict";
  var form = document.getElementById("enquiry-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var url = form.getAttribute("data-autosave");
  var status = document.getElementById("draft-status");
  var timer = null;
  var DELAY = 2000;

  function save() {
    window.clearTimeout(timer);
    var data = new window.FormData(form);
    data.delete("action");
    return window.fetch(url, {
      method: "POST", body: data, credentials: "same-origin", redirect: "manual",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("not saved");
      }
      return response.json();
    }).then(function (body) {
      status.textContent = body.message;
      if (body.seconds_left) {
        document.dispatchEvent(new CustomEvent("dw:session-extended",
                                               {detail: {secondsLeft: body.seconds_left}}));
      }
    }).catch(function () {
      status.textContent = "The draft could not be saved automatically. Choose 'Save draft'.";
    });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY);
  }

  form.addEventListener("change", soon);
  form.addEventListener("input", soon);
  document.addEventListener("dw:session-warning", save);
}());
