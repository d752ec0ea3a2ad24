/* A Parvis page that must reopen without the network (the door scanner, an exhibitor's lead scanner): the
   page and its files stay on the phone. The page is fetched from the network first (fresh translations and
   code), its files from the cache first. API calls are never cached: the app keeps its own data (a list,
   scans to synchronise) on the phone. */
"use strict";
const CACHE = {{ cache_name|safe }};
const SHELL = {{ shell|safe }};
const STATIC = {{ static_prefix|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith(STATIC)) {
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then((hit) => hit || fetch(request).then((response) => keep(request, response)))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(
      fetch(request)
        .then((response) => keep(request, response))
        .catch(() => caches.match(request, { ignoreSearch: true, ignoreVary: true }))
    );
  }
});

function keep(request, response) {
  if (response.ok) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}
