// SATIS outreach service worker (scope /outreach/): keeps the outing form and the static files
// it needs on the device, so that the form opens in a van with no signal. Only GET requests of
// this origin are touched; nothing is sent anywhere else. Saving is the page's outbox job.
"use strict";
var CACHE = "satis-outreach-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  var offline = url.pathname === "/outreach/outings/new" || url.pathname.indexOf("/static/") === 0;
  if (!offline) { return; }
  e.respondWith(
    fetch(req).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { return c.put(req, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || Response.error(); });
    })
  );
});
