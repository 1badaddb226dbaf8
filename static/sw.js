/* Fieldpost service worker: versioned static files from the cache, an offline page
   for navigations the network cannot answer. The server fills in its settings. */
const CONFIG = self.__FIELDPOST__;
const CACHE = "fieldpost-" + CONFIG.version;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([...CONFIG.precache, CONFIG.offlineUrl]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("fieldpost-") && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.refreshOffline) {
    event.waitUntil(caches.open(CACHE).then((cache) => cache.add(CONFIG.offlineUrl)));
  }
});

async function fromCacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

async function navigate(request) {
  try {
    return await fetch(request);
  } catch (error) {
    return (await caches.match(request)) || (await caches.match(CONFIG.offlineUrl)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (url.pathname.startsWith("/static/") && url.searchParams.has("v")) {
    event.respondWith(fromCacheFirst(request));
  }
});
