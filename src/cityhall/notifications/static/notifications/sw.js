// Service worker of the city's Web Push notifications (取組12, 17): shows each push and opens
// its link when tapped. The payload is JSON: {title, body, url, settings, urgent}.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {body: event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "",
    data: {url: data.url || data.settings || "/"},
    requireInteraction: Boolean(data.urgent),
    tag: data.urgent ? "urgent" : undefined
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
