// The password-reset page: sends the token of the mail's link and the new password to PUT /api/v1/auth/password,
// then shows that it worked or the errors of the answer ({"errors": [{"code", "message", "field"}]}).
"use strict";

(function () {
  // The token comes in the link's query (?token=...) or fragment (#token=...); it is read here only, and taken off
  // the address bar so that it stays out of the history and of a shared screen.
  var token = new URLSearchParams(window.location.search).get("token")
    || new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.search || window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  var form = document.getElementById("reset-form");
  var password = document.getElementById("password");
  var confirm = document.getElementById("confirm");
  var submit = document.getElementById("submit");
  var errors = document.getElementById("errors");
  var done = document.getElementById("done");
  var labels = {password: "New password", reset_password_token: "Reset link"};

  function showErrors(items) {
    errors.replaceChildren();
    items.forEach(function (item) {
      var line = document.createElement("li");
      line.textContent = (labels[item.field] ? labels[item.field] + ": " : "") + item.message;
      errors.appendChild(line);
    });
  }

  function answered(response) {
    if (response.ok) {
      form.hidden = true;
      password.value = confirm.value = "";
      done.hidden = false;
      return;
    }
    return response.json().then(function (body) {
      showErrors(body.errors);
    }, function () {
      showErrors([{message: "The server answered " + response.status + ". Try again later."}]);
    });
  }

  if (!token) {
    document.getElementById("no-token").hidden = false;
    return;
  }
  form.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (password.value !== confirm.value) {
      showErrors([{message: "The two passwords differ."}]);
      return;
    }
    showErrors([]);
    submit.disabled = true;
    fetch("api/v1/auth/password", {
      method: "PUT",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({reset_password_token: token, password: password.value}),
      credentials: "omit",
      cache: "no-store",
    }).then(answered, function () {
      showErrors([{message: "The server could not be reached. Try again."}]);
    }).finally(function () {
      submit.disabled = false;
    });
  });
})();
