/* The offline outbox: a tap is kept on the phone (IndexedDB) and sent until the server
   confirms it, always with the key and clock time of the tap, so a replay is known. */
(function () {
  "use strict";
  if (window.Outbox) return;
  // A 400 KB photo over a weak 2G link takes minutes, a tap seconds.
  var config = { minDelayMs: 2000, maxDelayMs: 300000, timeoutMs: 30000, uploadTimeoutMs: 300000 };
  var usable = !!window.indexedDB, opening, running, again, againAll, timer, fix, seeking;

  // Surfaces a bug to error reporters without breaking a promise chain.
  function report(error) { setTimeout(function () { throw error; }); }
  function later(ms, value) { return new Promise(function (ok) { setTimeout(ok, ms, value); }); }
  function fire(el, name, detail) {
    el.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail }));
  }

  function tx(mode, work) {
    opening = opening || new Promise(function (ok, fail) {
      var open = indexedDB.open("fieldpost-outbox", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("outbox", { keyPath: "key" }); };
      open.onsuccess = function () {
        var db = open.result;
        // Let another tab upgrade the database; the next use reopens it.
        db.onversionchange = db.onclose = function () { db.close(); opening = null; };
        ok(db);
      };
      open.onerror = function () { opening = null; fail(open.error); };
    });
    return opening.then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction("outbox", mode), request = work(t.objectStore("outbox"));
        t.oncomplete = function () { ok(request.result); };
        t.onerror = t.onabort = function () { fail(t.error); };
      });
    });
  }
  function pending() {
    if (!usable) return Promise.resolve([]);
    return tx("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return all.sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }
  function count() {
    return usable ? tx("readonly", function (s) { return s.count(); }) : Promise.resolve(0);
  }
  function put(entry) { return tx("readwrite", function (s) { return s.put(entry); }); }

  function render(n) {
    document.querySelectorAll("[data-outbox-pending]").forEach(function (el) {
      el.hidden = !n;
      if (n) el.textContent = ((n === 1 && el.dataset.one) || el.dataset.many || "{n}").replace("{n}", n);
    });
    return n;
  }
  function refresh() { return count().then(render); }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  // Strictly increasing on this page: two entries made in the same millisecond keep their order.
  var lastMade = 0;
  function add(url, fields, target) {
    var now = lastMade = Math.max(Date.now(), lastMade + 1), key = fields.idempotency_key = fields.idempotency_key || newKey();
    fields.client_time = fields.client_time || new Date(now).toISOString();
    // Stored absolute: it may be sent from another page after a reload.
    var entry = { key: key, url: new URL(url, document.baseURI).href, target: target || "",
      fields: fields, createdAt: now, attempts: 0, nextAt: now };
    return put(entry).then(function () { refresh().catch(report); return entry; });
  }
  function enqueue(url, fields, options) {
    return add(url, Object.assign({}, fields), options && options.target).then(function (entry) {
      // Someone just acted: a good moment to try the whole queue, back-off or not.
      flush({ all: true });
      return entry.key;
    });
  }

  function request(url, init) {
    // A dead 2G link can hold a request, and every entry behind it, for minutes.
    if (window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(config.timeoutMs);
    init.credentials = "same-origin";
    return fetch(url, init);
  }
  function hasFile(fields) {
    return Object.keys(fields).some(function (k) {
      return [].concat(fields[k]).some(function (v) { return v instanceof Blob; });
    });
  }
  // Files go by XMLHttpRequest, the one way to see an upload's progress; the answer is
  // shaped like fetch's. A redirect is followed, but only the app echoes the key.
  function upload(entry, body, headers) {
    return new Promise(function (ok, fail) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", entry.url);
      xhr.timeout = config.uploadTimeoutMs;
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) fire(document, "outbox:progress", { key: entry.key, loaded: e.loaded, total: e.total });
      };
      xhr.onload = function () {
        ok({ status: xhr.status, ok: xhr.status >= 200 && xhr.status < 300,
          headers: { get: function (name) { return xhr.getResponseHeader(name); } },
          text: function () { return Promise.resolve(xhr.responseText); } });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { fail(new Error("upload failed")); };
      xhr.send(body);
    });
  }
  function send(entry) {
    var status = 0;
    return request("/csrf", { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (csrf) {
        var f = entry.fields, files = hasFile(f), body = files ? new FormData() : new URLSearchParams(),
          headers = { "X-Idempotency-Key": entry.key, "X-CSRFToken": csrf.token, "HX-Request": "true" };
        Object.keys(f).forEach(function (k) {
          [].concat(f[k]).forEach(function (v) {
            if (v instanceof Blob) body.append(k, v, v.name || "photo.jpg");
            else body.append(k, v);
          });
        });
        // A token saved with the page may be stale; this one is from the moment of sending.
        body.set("_csrf_token", csrf.token);
        if (entry.target) headers["HX-Target"] = entry.target;
        if (files) return upload(entry, body, headers);
        return request(entry.url, { method: "POST", redirect: "manual", body: body, headers: headers });
      })
      .then(function (r) {
        status = r.status;
        // Only the app echoes the key: a login redirect, a captive portal or a proxy's
        // error page must not count as delivered.
        if (r.headers.get("X-Idempotency-Key") !== entry.key || !(r.ok || status === 422)) throw r;
        return r.text().then(function (html) {
          return tx("readwrite", function (s) { return s.delete(entry.key); })
            .then(function () { return html; });
        });
      })
      .then(function (html) {
        var el = entry.target && document.getElementById(entry.target);
        if (el) {
          el.innerHTML = html;
          if (window.htmx) window.htmx.process(el);
          wire(el);
        }
        fire(document, status === 422 ? "outbox:refused" : "outbox:sent",
          { key: entry.key, status: status, url: entry.url });
        return true;
      }, function () {
        var delay = Math.min(config.minDelayMs * Math.pow(2, entry.attempts++), config.maxDelayMs);
        entry.nextAt = Date.now() + delay * (0.8 + Math.random() * 0.4);
        return put(entry).then(function () {
          fire(document, "outbox:retry",
            { key: entry.key, status: status, attempts: entry.attempts, nextAt: entry.nextAt });
          return false;
        });
      })
      .catch(function (error) { report(error); return false; });
  }

  // One pass at a time; a call during a pass gets the next one. {all: true} ignores back-off.
  // Entries go in the order they were made and a failure stops the pass: a check-out
  // must not reach the server before the check-in it closes.
  function flush(options) {
    var all = !!(options && options.all);
    if (running) {
      againAll = againAll || all;
      return again || (again = running.then(function () {
        var next = { all: againAll };
        again = againAll = null;
        return flush(next);
      }));
    }
    running = exclusive(function () {
      return pending().then(function (entries) {
        // The oldest entry gates the rest (they go in order), so its back-off is the queue's:
        // entries waiting behind it must not make the phone retry it in a tight loop.
        if (!all && entries.length && entries[0].nextAt > Date.now()) return;
        return entries.reduce(function (chain, e) {
          return chain.then(function (sent) { return sent && send(e); });
        }, Promise.resolve(true));
      });
    }).catch(report).then(function () { running = null; return arm(); });
    return running;
  }
  // Two tabs must not send one entry at the same time.
  function exclusive(work) {
    return navigator.locks ? navigator.locks.request("fieldpost-outbox", work) : work();
  }
  function arm() {
    clearTimeout(timer);
    return pending().then(function (entries) {
      if (!render(entries.length)) return;
      var next = entries[0].nextAt;
      timer = setTimeout(flush, Math.min(Math.max(next - Date.now(), 50), 30000));
    }).catch(report);
  }

  function locate() {
    return seeking || (seeking = new Promise(function (ok) {
      navigator.geolocation.getCurrentPosition(ok, function () { ok(null); },
        { enableHighAccuracy: true, maximumAge: 60000, timeout: 3000 });
    }).then(function (p) { seeking = null; fix = p || fix; return p; }));
  }
  function whereabouts(form) {
    // A permission prompt nobody answers must not hold the tap (position() gives up at 3 s).
    return form.hasAttribute("data-outbox-geolocate") ? position() : Promise.resolve(null);
  }
  function wire(root) {
    var geo = "form[data-outbox-geolocate]";
    if (navigator.geolocation && ((root.matches && root.matches(geo)) || root.querySelector(geo))) locate();
    refresh().catch(report);
  }

  function submitted(event) {
    var form = event.target, submitter = event.submitter, fields = {}, buttons;
    if (!usable || !form.matches("form[data-outbox]")) return;
    event.preventDefault();
    // Ahead of htmx, which would post a boosted form a second time.
    event.stopImmediatePropagation();
    if (form.getAttribute("aria-busy")) return;
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && k !== "_csrf_token") fields[k] = k in fields ? [].concat(fields[k], v) : v;
    });
    if (submitter && submitter.name) fields[submitter.name] = submitter.value;
    fields.idempotency_key = newKey();
    fields.client_time = new Date().toISOString();
    buttons = [].filter.call(form.elements, function (el) {
      return /submit|image/.test(el.type) && !el.disabled;
    });
    function hold(on) {
      form[on ? "setAttribute" : "removeAttribute"]("aria-busy", "true");
      buttons.forEach(function (b) { b.disabled = on; });
    }
    hold(true);
    whereabouts(form).then(function (p) {
      if (p) ["latitude", "longitude", "accuracy"].forEach(function (k) { fields[k] = String(p.coords[k]); });
      var action = form.getAttribute("action") || location.href;
      return add(action, fields, form.getAttribute("data-outbox-target"));
    }).then(function (entry) {
      fire(form, "outbox:queued", { key: entry.key, fields: fields });
      // Held a moment longer, so a nervous second tap does not become a second entry.
      return Promise.all([flush({ all: true }), later(1000)]).then(function () { hold(false); });
    }, function () {
      // This browser cannot keep it (private mode, disk full): post the form as it is.
      usable = false;
      hold(false);
      if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : null);
      else form.submit();
    }).catch(report);
  }

  function start() { wire(document); flush({ all: true }); }
  if (usable) {
    count().catch(function () { usable = false; });
    document.addEventListener("submit", submitted, true);
    document.addEventListener("htmx:load", function (e) { wire((e.detail && e.detail.elt) || e.target); });
    window.addEventListener("online", function () { flush({ all: true }); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") flush({ all: true });
    });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
  // Where the phone is, if it says within 3 s (null otherwise): for forms sent by script.
  function position() {
    if (!navigator.geolocation) return Promise.resolve(null);
    if (fix && Date.now() - fix.timestamp < 120000) return Promise.resolve(fix);
    return Promise.race([locate(), later(3000, null)]);
  }
  window.Outbox = {
    config: config, enqueue: enqueue, flush: flush, pending: pending, count: count, refresh: refresh,
    position: position, newKey: newKey, usable: function () { return usable; }
  };
})();
