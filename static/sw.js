/* Fieldpost service worker: versioned static files from the cache, an offline page
   for navigations the network cannot answer. The server fills in its settings. */
const CONFIG = self.__FIELDPOST__;
const CACHE = "fieldpost-" + CONFIG.version;
// Pages kept for offline use outlive a new version of the static files.
const PAGES = "fieldpost-pages";
// A dead 2G link often neither answers nor fails: give up and use the kept copy.
const PAGE_TIMEOUT_MS = 4000;

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
        keys.filter((key) => key.startsWith("fieldpost-") && key !== CACHE && key !== PAGES)
          .map((key) => caches.delete(key))
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

function keptOffline(url) {
  return CONFIG.offlinePages.some((prefix) => url.pathname.startsWith(prefix));
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

async function navigate(request) {
  const url = new URL(request.url);
  const kept = keptOffline(url);
  try {
    const response = await (kept ? withTimeout(fetch(request), PAGE_TIMEOUT_MS) : fetch(request));
    if (kept && response.ok && response.type === "basic") {
      const pages = await caches.open(PAGES);
      await pages.put(url.pathname, response.clone());
    }
    return response;
  } catch (error) {
    const page = kept ? await caches.match(url.pathname, { cacheName: PAGES, ignoreVary: true }) : null;
    return page || (await caches.match(request)) || (await caches.match(CONFIG.offlineUrl)) || Response.error();
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
