/* The offline outbox: what a person taps is kept on the phone (IndexedDB) and sent
   until the server confirms it, always with the key and clock time of the tap, so the
   server can tell a replay from a new act. No inline script anywhere (CSP). */
(function () {
  "use strict";
  if (window.Outbox) return;

  var config = { minDelayMs: 2000, maxDelayMs: 300000, timeoutMs: 30000, csrfUrl: "/csrf" };
  var usable = !!window.indexedDB;
  var opening, running, again, againAll, timer, fix, seeking;

  function noop() {}
  // Surfaces a bug to the console and error reporters without breaking a promise chain.
  function report(error) { setTimeout(function () { throw error; }); }
  function later(ms, value) { return new Promise(function (ok) { setTimeout(ok, ms, value); }); }
  function fire(el, name, detail) {
    el.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail }));
  }

  function db() {
    return opening || (opening = new Promise(function (ok, fail) {
      var open = indexedDB.open("fieldpost-outbox", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("outbox", { keyPath: "key" }); };
      open.onsuccess = function () {
        var d = open.result;
        // Let another tab upgrade the database; the next use reopens it.
        d.onversionchange = d.onclose = function () { d.close(); opening = null; };
        ok(d);
      };
      open.onerror = function () { opening = null; fail(open.error); };
    }));
  }
  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (ok, fail) {
        var t = d.transaction("outbox", mode), request = work(t.objectStore("outbox"));
        t.oncomplete = function () { ok(request.result); };
        t.onerror = t.onabort = function () { fail(t.error); };
      });
    });
  }
  function pending() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return all.sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }
  function count() { return tx("readonly", function (s) { return s.count(); }); }
  function put(entry) { return tx("readwrite", function (s) { return s.put(entry); }); }

  function render(n) {
    document.querySelectorAll("[data-outbox-pending]").forEach(function (el) {
      var text = (n === 1 && el.getAttribute("data-one")) || el.getAttribute("data-many") || "{n}";
      el.hidden = !n;
      if (n) el.textContent = text.replace("{n}", n);
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

  function add(url, fields, target) {
    var now = Date.now();
    fields.idempotency_key = fields.idempotency_key || newKey();
    fields.client_time = fields.client_time || new Date(now).toISOString();
    var entry = {
      key: fields.idempotency_key, url: new URL(url, document.baseURI).href, target: target || "",
      fields: fields, createdAt: now, attempts: 0, nextAt: now
    };
    return put(entry).then(function () { refresh().catch(report); return entry; });
  }
  function enqueue(url, fields, options) {
    return add(url, Object.assign({}, fields), options && options.target).then(function (entry) {
      flush();
      return entry.key;
    });
  }

  function request(url, init) {
    // A dead 2G link can hold a request for minutes, and every later entry behind it.
    var stop = window.AbortController && new AbortController(), clock;
    if (stop) {
      init.signal = stop.signal;
      clock = setTimeout(function () { stop.abort(); }, config.timeoutMs);
    }
    return fetch(url, init).then(function (r) { clearTimeout(clock); return r; });
  }

  function send(entry) {
    var status = 0;
    return request(config.csrfUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (csrf) {
        var body = new URLSearchParams(), f = entry.fields, headers = {
          "X-Idempotency-Key": entry.key, "X-CSRFToken": csrf.token, "HX-Request": "true"
        };
        Object.keys(f).forEach(function (k) { [].concat(f[k]).forEach(function (v) { body.append(k, v); }); });
        // The token in a page can be stale: this one is from the moment of sending.
        body.set("_csrf_token", csrf.token);
        if (entry.target) headers["HX-Target"] = entry.target;
        return request(entry.url, {
          method: "POST", credentials: "same-origin", redirect: "manual", body: body, headers: headers
        });
      })
      .then(function (r) {
        status = r.status;
        // Only the app echoes the key: a login redirect, a captive portal or a proxy's
        // page must not count as delivered.
        if (r.headers.get("X-Idempotency-Key") !== entry.key || !(r.ok || r.status === 422)) throw r;
        return r.text().then(function (html) {
          return tx("readwrite", function (s) { return s.delete(entry.key); }).then(function () {
            return html;
          });
        });
      })
      .then(function (html) { show(entry, status, html); }, function () { return retry(entry, status); })
      .catch(report);
  }
  function show(entry, status, html) {
    var el = entry.target && document.getElementById(entry.target);
    if (el) {
      el.innerHTML = html;
      if (window.htmx) window.htmx.process(el);
      wire(el);
    }
    fire(document, status === 422 ? "outbox:refused" : "outbox:sent",
      { key: entry.key, status: status, url: entry.url });
  }
  function retry(entry, status) {
    var delay = Math.min(config.minDelayMs * Math.pow(2, entry.attempts), config.maxDelayMs);
    entry.attempts += 1;
    entry.nextAt = Date.now() + delay * (0.8 + Math.random() * 0.4);
    return put(entry).then(function () {
      fire(document, "outbox:retry",
        { key: entry.key, status: status, attempts: entry.attempts, nextAt: entry.nextAt });
    });
  }

  function flush(options) {
    var all = !!(options && options.all);
    if (running) {
      againAll = againAll || all;
      return again || (again = running.then(function () {
        var a = againAll;
        again = null;
        againAll = false;
        return flush({ all: a });
      }));
    }
    running = exclusive(function () { return pass(all); }).catch(report).then(function () {
      running = null;
      return arm();
    });
    return running;
  }
  // Two tabs must not send one entry at the same time.
  function exclusive(work) {
    return navigator.locks ? navigator.locks.request("fieldpost-outbox", work) : work();
  }
  function pass(all) {
    return pending().then(function (entries) {
      var now = Date.now();
      return entries.reduce(function (chain, entry) {
        return all || entry.nextAt <= now ? chain.then(function () { return send(entry); }) : chain;
      }, Promise.resolve());
    });
  }
  function arm() {
    clearTimeout(timer);
    return pending().then(function (entries) {
      if (!render(entries.length)) return;
      var next = Math.min.apply(Math, entries.map(function (e) { return e.nextAt; }));
      timer = setTimeout(function () { flush(); }, Math.min(Math.max(next - Date.now(), 50), 30000));
    }).catch(report);
  }

  function locate() {
    return seeking || (seeking = new Promise(function (ok) {
      navigator.geolocation.getCurrentPosition(ok, function () { ok(null); },
        { enableHighAccuracy: true, maximumAge: 60000, timeout: 3000 });
    }).then(function (p) { seeking = null; fix = p || fix; return p; }));
  }
  function whereabouts() {
    if (!navigator.geolocation) return Promise.resolve(null);
    if (fix && Date.now() - fix.timestamp < 120000) return Promise.resolve(fix);
    // A permission prompt nobody answers would hold the tap forever.
    return Promise.race([locate(), later(3000, null)]);
  }

  function wire(root) {
    var sel = "form[data-outbox-geolocate]";
    if (navigator.geolocation && ((root.matches && root.matches(sel)) || root.querySelector(sel))) {
      locate();
    }
    refresh().catch(report);
  }

  function submitted(event) {
    var form = event.target, submitter = event.submitter, fields = {};
    if (!usable || !form.matches("form[data-outbox]")) return;
    event.preventDefault();
    // Ahead of htmx, which would post a boosted form a second time.
    event.stopImmediatePropagation();
    if (form.getAttribute("aria-busy") === "true") return;
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && k !== "_csrf_token") fields[k] = k in fields ? [].concat(fields[k], v) : v;
    });
    if (submitter && submitter.name) fields[submitter.name] = submitter.value;
    fields.idempotency_key = newKey();
    fields.client_time = new Date().toISOString();
    var buttons = [].filter.call(form.elements, function (el) {
      return (el.type === "submit" || el.type === "image") && !el.disabled;
    });
    function release() {
      form.removeAttribute("aria-busy");
      buttons.forEach(function (b) { b.disabled = false; });
    }
    form.setAttribute("aria-busy", "true");
    buttons.forEach(function (b) { b.disabled = true; });
    (form.hasAttribute("data-outbox-geolocate") ? whereabouts() : Promise.resolve(null))
      .then(function (p) {
        if (p) {
          fields.latitude = String(p.coords.latitude);
          fields.longitude = String(p.coords.longitude);
          fields.accuracy = String(p.coords.accuracy);
        }
        return add(form.getAttribute("action") || location.href, fields, form.getAttribute("data-outbox-target"));
      })
      .then(function (entry) {
        fire(form, "outbox:queued", { key: entry.key, fields: fields });
        // Held a moment longer so a nervous second tap does not become a second entry.
        return Promise.all([flush(), later(1000)]).then(release);
      }, function () {
        // This browser cannot keep it (private mode, disk full): post the form as it is.
        usable = false;
        release();
        if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : null);
        else form.submit();
      })
      .catch(report);
  }

  function start() {
    wire(document);
    flush({ all: true });
  }
  if (usable) {
    db().catch(function () { usable = false; });
    document.addEventListener("submit", submitted, true);
    document.addEventListener("htmx:load", function (e) { wire((e.detail && e.detail.elt) || e.target); });
    window.addEventListener("online", function () { flush({ all: true }); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") flush({ all: true });
    });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  window.Outbox = {
    config: config, enqueue: enqueue, flush: flush, pending: pending, count: count, refresh: refresh
  };
})();
