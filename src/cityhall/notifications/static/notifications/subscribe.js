// Web Push subscription on the notifications page (取組12, 17). Progressive enhancement:
// the section stays hidden unless the browser has the Push API; email and LINE need no script.
(function () {
  "use strict";
  var box = document.getElementById("push-subscribe");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
  box.hidden = false;
  var fallback = document.getElementById("push-unsupported");
  if (fallback) { fallback.hidden = true; }
  var button = document.getElementById("push-button");
  var status = document.getElementById("push-status");

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.serviceWorker.register(box.dataset.sw).then(function (registration) {
      return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { throw new Error("denied"); }
        return registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key)
        });
      });
    }).then(function (subscription) {
      var body = subscription.toJSON();
      // The topics ticked in the form on this page, else disaster information.
      body.topic_ids = Array.prototype.map.call(
        document.querySelectorAll("input[name=topics]:checked"), function (input) {
          return Number(input.value);
        });
      body.language = box.dataset.language;
      return fetch(box.dataset.url, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify(body)
      });
    }).then(function (response) {
      if (!response.ok) { throw new Error("refused"); }
      return response.json();
    }).then(function (data) {
      status.textContent = box.dataset.done || "✓";
      if (data.settings_url) {
        var link = document.createElement("a");
        link.href = data.settings_url;
        link.textContent = data.settings_url;
        status.appendChild(document.createTextNode(" "));
        status.appendChild(link);
      }
    }).catch(function () {
      status.textContent = box.dataset.failed || "×";
      button.disabled = false;
    });
  });
}());
