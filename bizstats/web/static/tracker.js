/* bizstats tracker: page views, visit durations and custom events, sent to the bizstats
 * collector. No dependencies. One line on every page:
 *   <script async src="https://STATS-HOST/tracker.js" data-key="SITE_KEY"></script>
 * Options (data-*): key (required), endpoint (default: where this script comes from),
 * channel, dnt="respect" (send nothing when Do-Not-Track is on), interval (ms, default 5000),
 * batch (events, default 10).
 * API: bizstats.track(name, props), bizstats.setUser(id), bizstats.flush().
 *
 * Every event gets a time-ordered id (UUIDv7) when it is made and keeps it on every retry, so
 * the collector stores it once. Events wait in localStorage until the collector acknowledged
 * them: a failed send is retried up to 3 times (exponential backoff with jitter), then waits
 * for the `online` event or the next page load. */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  if (!script || w.bizstats) return;
  var opt = script.dataset;
  var noop = function () {};
  if (opt.dnt === "respect" && (navigator.doNotTrack === "1" || w.doNotTrack === "1")) {
    w.bizstats = { track: noop, setUser: noop, flush: noop };
    return;
  }
  var endpoint = (opt.endpoint || new URL(script.src, location.href).origin) +
    "/api/report/batch?key=" + encodeURIComponent(opt.key || "");
  var INTERVAL = +opt.interval || 5000, BATCH = +opt.batch || 10, MAX_RETRIES = 3;
  var QUEUE = "bizstats_queue", DEVICE = "bizstats_device_id", SESSION = "bizstats_session_id";
  var PARKED = 8.64e15; // the latest Date: waits for `online` or the next page load
  var sending = {}, timer = null, user = null, view = null;

  function uuid7() {
    var b = new Uint8Array(16), t = Date.now(), i;
    crypto.getRandomValues(b);
    for (i = 5; i >= 0; i--) { b[i] = t % 256; t = Math.floor(t / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = "";
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function stored(store, name) {
    try {
      var v = store.getItem(name);
      if (!v) { v = uuid7(); store.setItem(name, v); }
      return v;
    } catch (e) { return uuid7(); }
  }
  var deviceId = stored(localStorage, DEVICE), sessionId = stored(sessionStorage, SESSION);

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(q) {
    try { localStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { /* full: keep in memory */ }
  }
  function drop(ids) {
    save(load().filter(function (item) { return !ids[item.e.event_id]; }));
  }

  function make(type, props) {
    var e = {
      event_id: uuid7(), event_type: type, timestamp: Date.now(), device_id: deviceId,
      session_id: sessionId, page_url: (location.pathname + location.search).slice(0, 255),
      page_title: (d.title || "").slice(0, 255)
    };
    if (opt.channel) e.channel = opt.channel;
    if (user) e.user_id = user;
    for (var k in props || {}) e[k] = props[k];
    return e;
  }
  function enqueue(e) {
    var q = load();
    q.push({ e: e, n: 0, t: 0 });
    save(q);
    if (ready(q).length >= BATCH) flush(); else schedule(INTERVAL);
  }
  function ready(q) {
    var now = Date.now();
    return q.filter(function (item) { return item.t <= now && !sending[item.e.event_id]; });
  }
  function schedule(ms) {
    if (timer === null) timer = setTimeout(function () { timer = null; flush(); }, ms);
  }
  function body(items) {
    return JSON.stringify({ sent_at: Date.now(), events: items.map(function (i) { return i.e; }) });
  }

  // A failed send: each event waits 1, 2, 4 s (x 0.5..1.5 jitter), at most 3 retries, then
  // until the `online` event or the next page load.
  function failed(ids) {
    var q = load(), now = Date.now(), next = Infinity;
    q.forEach(function (item) {
      if (!ids[item.e.event_id]) return;
      item.n += 1;
      if (item.n > MAX_RETRIES) { item.t = PARKED; return; }
      item.t = now + 1000 * Math.pow(2, item.n - 1) * (0.5 + Math.random());
      next = Math.min(next, item.t);
    });
    save(q);
    if (next !== Infinity) schedule(next - now);
  }

  function flush() {
    var items = ready(load()).slice(0, 50);
    if (!items.length || !navigator.onLine) return;
    var ids = {};
    items.forEach(function (i) { ids[i.e.event_id] = sending[i.e.event_id] = true; });
    var done = function () { for (var k in ids) delete sending[k]; };
    fetch(endpoint, { method: "POST", body: body(items), keepalive: true,
                      headers: { "Content-Type": "text/plain" } })
      .then(function (r) {
        done();
        // stored (200), or refused for good (4xx but 429): retrying cannot help
        if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 429)) drop(ids); else failed(ids);
        if (ready(load()).length) schedule(0);
      }, function () { done(); failed(ids); });
  }

  // On leaving: the beacon carries the leave and everything waiting (dropped once queued).
  function beacon() {
    var items = ready(load()).slice(0, 50);
    if (!items.length || !navigator.sendBeacon) return;
    if (navigator.sendBeacon(endpoint, body(items))) {
      var ids = {};
      items.forEach(function (i) { ids[i.e.event_id] = true; });
      drop(ids);
    }
  }

  function pageView() {
    leave(false);
    var e = make("page_view");
    view = { id: e.event_id, start: Date.now(), url: location.href, page: e.page_url, title: e.page_title };
    enqueue(e);
  }
  // A leave carries the page of the view it closes: after an SPA route change, location
  // already holds the next page's URL.
  function leave(final) {
    if (!view) return;
    var e = make("page_leave", { page_view_id: view.id, duration_ms: Date.now() - view.start,
                                 page_url: view.page, page_title: view.title });
    view = null;
    var q = load();
    q.push({ e: e, n: 0, t: 0 });
    save(q);
    if (final) beacon(); else schedule(INTERVAL);
  }
  function routeChanged() {
    if (view && view.url !== location.href) pageView();
  }

  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      routeChanged();
      return result;
    };
  });
  w.addEventListener("popstate", routeChanged);
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState === "hidden") leave(true);
  });
  w.addEventListener("pagehide", function () { leave(true); });
  w.addEventListener("pageshow", function (ev) { if (ev.persisted) pageView(); });
  w.addEventListener("online", function () {
    var q = load();
    q.forEach(function (item) { item.n = 0; item.t = 0; });
    save(q);
    flush();
  });

  w.bizstats = {
    track: function (name, props) { enqueue(make(name, props)); },
    setUser: function (id) { user = id ? String(id) : null; },
    flush: flush,
    deviceId: deviceId
  };
  // events left by an earlier page (offline, closed before sending) go now
  var q = load();
  q.forEach(function (item) { item.n = 0; item.t = 0; });
  save(q);
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", pageView); else pageView();
  if (ready(q).length) schedule(0);
})(window, document);
