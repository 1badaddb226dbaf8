/* Adding photos: each one is shrunk on the phone, then kept in the outbox until the server
   has it, with a progress bar. Without this script the form uploads the files as they are. */
(function () {
  "use strict";
  var LONG_SIDE = 2048, MAX_BYTES = 400 * 1024, QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45, 0.35];

  function loadImage(file) {
    return new Promise(function (ok, fail) {
      var url = URL.createObjectURL(file), img = new Image();
      // Modern browsers turn the picture upright from its EXIF orientation here.
      img.onload = function () { ok({ img: img, url: url }); };
      img.onerror = function () { URL.revokeObjectURL(url); fail(new Error("not an image")); };
      img.src = url;
    });
  }
  function toBlob(canvas, quality) {
    return new Promise(function (ok) { canvas.toBlob(ok, "image/jpeg", quality); });
  }
  // Drawn straight into a canvas of the target size: a full-size canvas of a 48-megapixel
  // photo is over the limit of many phones.
  function shrink(file) {
    return loadImage(file).then(function (loaded) {
      var img = loaded.img, w = img.naturalWidth, h = img.naturalHeight,
        scale = Math.min(1, LONG_SIDE / Math.max(w, h)), canvas = document.createElement("canvas");
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(loaded.url);
      var step = function (i) {
        return toBlob(canvas, QUALITIES[i]).then(function (blob) {
          if (!blob) throw new Error("canvas refused");
          if (blob.size <= MAX_BYTES || i === QUALITIES.length - 1) return blob;
          return step(i + 1);
        });
      };
      return step(0);
    }).then(function (blob) {
      return new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" });
    }, function () { return file; });  // the original, when this browser cannot
  }

  // From a JPEG's EXIF: DateTimeOriginal (the phone's local time) and the GPS position;
  // {} when absent.
  function exifFacts(file) {
    if (!/jpe?g$/i.test(file.type) || !file.slice) return Promise.resolve({});
    return file.slice(0, 128 * 1024).arrayBuffer().then(function (buffer) {
      var view = new DataView(buffer), offset = 2;
      if (view.getUint16(0) !== 0xFFD8) return {};
      while (offset + 4 < view.byteLength) {
        var marker = view.getUint16(offset), size = view.getUint16(offset + 2);
        if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) return readExif(view, offset + 10);
        offset += 2 + size;
      }
      return {};
    }).catch(function () { return {}; });
  }
  function readExif(view, tiff) {
    var little = view.getUint16(tiff) === 0x4949;
    function u16(at) { return view.getUint16(at, little); }
    function u32(at) { return view.getUint32(at, little); }
    function find(ifd, tag) {
      for (var i = 0, n = u16(ifd); i < n; i++) {
        var entry = ifd + 2 + i * 12;
        if (u16(entry) === tag) return entry;
      }
      return 0;
    }
    function rational(at) { return u32(at) / (u32(at + 4) || 1); }
    function degrees(ifd, refTag, valueTag) {
      var ref = find(ifd, refTag), value = find(ifd, valueTag);
      if (!ref || !value) return null;
      var at = tiff + u32(value + 8), sign = /[SW]/.test(String.fromCharCode(view.getUint8(ref + 8))) ? -1 : 1;
      return sign * (rational(at) + rational(at + 8) / 60 + rational(at + 16) / 3600);
    }
    var zero = tiff + u32(tiff + 4), sub = find(zero, 0x8769), gps = find(zero, 0x8825), entry, found = {};
    entry = sub ? find(tiff + u32(sub + 8), 0x9003) : 0;
    entry = entry || find(zero, 0x0132);
    if (entry) {
      var text = "", at = tiff + u32(entry + 8);
      for (var i = 0; i < 19; i++) text += String.fromCharCode(view.getUint8(at + i));
      var m = /^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text);
      var when = m && new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
      if (when && !isNaN(when)) found.time = when.toISOString();
    }
    // The canvas drops EXIF: the place the camera wrote is read here, before it does.
    if (gps) {
      var ifd = tiff + u32(gps + 8), lat = degrees(ifd, 1, 2), lon = degrees(ifd, 3, 4);
      if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && (lat || lon)) {
        found.latitude = lat;
        found.longitude = lon;
      }
    }
    return found;
  }

  function item(list, form, file, key) {
    var li = document.createElement("li"), thumb = document.createElement("img"),
      body = document.createElement("div"), status = document.createElement("p"),
      bar = document.createElement("progress"), target = document.createElement("div");
    li.className = "upload-item";
    thumb.alt = "";
    thumb.src = URL.createObjectURL(file);
    thumb.onload = function () { URL.revokeObjectURL(thumb.src); };
    target.id = "upload-" + key;
    status.textContent = form.dataset.msgShrinking;
    bar.max = 1;
    bar.value = 0;
    body.append(status, bar, target);
    li.append(thumb, body);
    list.prepend(li);
    return { li: li, status: status, bar: bar };
  }

  var rows = {};
  function on(name, handler) {
    document.addEventListener(name, function (e) {
      var row = e.detail && rows[e.detail.key];
      if (row) handler(row, e.detail);
    });
  }
  on("outbox:progress", function (row, d) {
    row.bar.hidden = false;
    row.bar.value = d.loaded / d.total;
    row.status.textContent = row.form.dataset.msgSending;
  });
  on("outbox:sent", function (row) {
    if (row.together) return;
    row.bar.value = 1;
    row.bar.hidden = true;
    row.status.hidden = true;
    row.li.querySelector("img").hidden = true;  // the server's thumbnail takes its place
    row.li.classList.add("sent");
  });
  on("outbox:refused", function (row) {
    if (row.together) return;
    row.bar.hidden = true;
    row.status.textContent = row.form.dataset.msgRefused;
    row.li.classList.add("refused");
  });
  on("outbox:retry", function (row) {
    row.status.textContent = row.form.dataset.msgWaiting;
    row.bar.hidden = true;
    if (row.retry || row.together) return;
    row.retry = document.createElement("button");
    row.retry.type = "button";
    row.retry.textContent = row.form.dataset.msgRetry;
    row.retry.addEventListener("click", function () { window.Outbox.flush({ all: true }); });
    row.status.after(row.retry);
  });

  // A form sent as one entry, its photos shrunk and attached (a report with its photos).
  function together(form, input, files) {
    var fields = {}, status = document.getElementById(form.dataset.outboxTarget),
      key = window.Outbox.newKey(), where = window.Outbox.position();
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && k !== "_csrf_token") fields[k] = v;
    });
    fields.idempotency_key = key;
    // The server's answer ("received, #123", or why not) replaces the status line.
    rows[key] = { form: form, li: status, status: status, bar: {}, together: true };
    status.textContent = form.dataset.msgShrinking;
    form.setAttribute("aria-busy", "true");
    return files.reduce(function (chain, file) {
      return chain.then(function (done) { return shrink(file).then(function (small) { return done.concat(small); }); });
    }, Promise.resolve([])).then(function (photos) {
      if (photos.length) fields.photo = photos;
      return where;
    }).then(function (p) {
      if (p) ["latitude", "longitude", "accuracy"].forEach(function (k) { fields[k] = String(p.coords[k]); });
      return window.Outbox.enqueue(form.action, fields, { target: form.dataset.outboxTarget });
    }).then(function () {
      form.reset();
      form.querySelector("[name=idempotency_key]").value = window.Outbox.newKey();
      form.removeAttribute("aria-busy");
    });
  }

  function submitted(event) {
    var form = event.target;
    if (!form.matches("form[data-photo-upload]") || !window.Outbox || !window.Outbox.usable()) return;
    if (!window.File || !window.Blob || !HTMLCanvasElement.prototype.toBlob) return;
    var input = form.querySelector("input[type=file]"), files = [].slice.call(input.files || []);
    if (form.dataset.photoUpload === "together") {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!form.getAttribute("aria-busy")) together(form, input, files).catch(function (e) { setTimeout(function () { throw e; }); });
      return;
    }
    if (!files.length) return;  // the browser's own "required" message, or the server's
    event.preventDefault();
    event.stopImmediatePropagation();
    var list = document.getElementById("upload-list"), base = {}, data = new FormData(form);
    ["area", "caption", "tags"].forEach(function (k) { if (data.has(k)) base[k] = data.get(k); });
    var where = window.Outbox.position();
    input.value = "";
    // One at a time: a cheap phone shrinking five photos at once runs out of memory.
    files.reduce(function (chain, file) {
      var key = window.Outbox.newKey(), row = item(list, form, file, key);
      row.form = form;
      rows[key] = row;
      return chain.then(function () {
        return Promise.all([shrink(file), exifFacts(file), where]);
      }).then(function (got) {
        var fields = Object.assign({}, base, { photo: got[0], idempotency_key: key }), exif = got[1], p = got[2];
        fields.taken_at = exif.time || new Date().toISOString();
        fields.taken_source = exif.time ? "exif" : "phone";
        // Where the camera says it was taken beats where the phone is now (a gallery photo).
        if (exif.latitude !== undefined) {
          fields.latitude = String(exif.latitude);
          fields.longitude = String(exif.longitude);
        } else if (p) {
          ["latitude", "longitude", "accuracy"].forEach(function (k) { fields[k] = String(p.coords[k]); });
        }
        row.status.textContent = form.dataset.msgSize.replace("{size}", Math.round(got[0].size / 1024));
        row.li.dataset.bytes = got[0].size;
        return window.Outbox.enqueue(form.action, fields, { target: "upload-" + key });
      });
    }, Promise.resolve()).catch(function (error) { setTimeout(function () { throw error; }); });
  }
  document.addEventListener("submit", submitted, true);
})();
