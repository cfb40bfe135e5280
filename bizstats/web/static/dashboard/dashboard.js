// The bizstats dashboard: reads the query API (GET /api/metrics, /api/stats/*, /api/quality)
// and the collector's real-time counters (GET /api/stats/realtime). Every name a person reads
// comes from the API in both languages — metrics (labels, units, definitions) from the metric
// catalogue, channels, devices, dimensions and their values from the seeds, monitors, statuses
// and alerts from bizstats.checks.labels — so a metric, a dimension or a monitor added on the
// server shows here with no change to this file. The filters live in the URL (a shareable
// link); the API key in localStorage (never in the URL).
"use strict";

const WORDS = window.BIZSTATS_I18N;
const KEY_STORE = "bizstats.apiKey";
const PERIOD = { daily: "stat_date", weekly: "week_start", monthly: "month_start" };
const REALTIME_MS = 5000;
// ECharts' HTML tooltips carry inline style attributes, which the page's Content-Security-Policy
// refuses (bizstats/web/security.py): tooltips are drawn in the chart's canvas instead
const TOOLTIP = "richText";
// what a failed request says, by HTTP status (0: no answer); the server's own text is detail
const ERROR_WORDS = { 0: "err_network", 400: "err_request", 401: "err_key", 403: "err_scope", 404: "err_missing",
                      422: "err_request", 429: "err_busy", 503: "err_unavailable" };
const state = { lang: "zh", catalog: null, lastDay: null, shown: [], charts: {}, timer: null, loginError: null };

const $ = (id) => document.getElementById(id);
const t = (word) => WORDS[state.lang][word] ?? word;
// a sentence of i18n.js with its {names} filled in
const fill = (word, values) => t(word).replace(/\{(\w+)\}/g, (_, name) => values[name]);
// the same as nodes, each value kept on one line (a date never breaks at its hyphens)
const fillNodes = (word, values) => t(word).split(/\{(\w+)\}/).map((part, i) => (i % 2 ? el("span", { className: "nowrap" }, String(values[part])) : part));
// a {zh, en} name of the API in the page's language
const pick = (names) => (names ? names[state.lang] ?? names.en : "");

// an element with text or children: el("td", {className: "flag"}, "text", child, ...)
function el(tag, props, ...children) {
  const node = Object.assign(document.createElement(tag), props || {});
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function addDays(iso, days) {
  const d = new Date(iso + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function groupDigits(text) {
  const [whole, frac] = String(text).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + digits + (frac !== undefined ? "." + frac : "");
}

// A percent: the API gives the fraction as an exact decimal string ("0.1250"); shown x100
// with its places less two ("12.50%").
function percent(text) {
  const places = Math.max(0, (String(text).split(".")[1] || "").length - 2);
  return groupDigits((Number(text) * 100).toFixed(places)) + "%";
}

// A value as the catalogue's format says: money stays the API's exact decimal string.
function show(metric, value) {
  if (value === null || value === undefined) return "";
  if (metric.format === "duration") return groupDigits(value) + " " + t("seconds");
  if (metric.format === "percent") return percent(value);
  return groupDigits(value);
}

function label(metric) { return state.lang === "zh" ? metric.short_zh : metric.short_en; }
function longLabel(metric) { return state.lang === "zh" ? metric.label_zh : metric.label_en; }
// A metric's name on a card, in a menu, a chart: its short name, an acronym with its meaning
// ("PV · 页面访问量"); never the same words twice, never "of the period" on a day.
function metricName(metric) {
  const short = label(metric), long = longLabel(metric);
  return /^[A-Z]{2,4}$/.test(short) && short !== long ? `${short} · ${long}` : short;
}
function dimName(names, value) { return pick(names[value]) || value; }
function sliceName(slice) {
  const [channel, device] = String(slice).split("/");
  return `${dimName(state.catalog.channels, channel)} / ${dimName(state.catalog.device_types, device)}`;
}

// The warehouse's local time (the build's stats_utc_offset_hours, as the catalogue's
// "timezone": "UTC+8"): a Date, or a naive UTC "YYYY-MM-DD HH:MM:SS" of the API, as local text.
function offsetHours() {
  const found = /^UTC([+-]\d+)$/.exec(state.catalog.timezone);
  return found ? Number(found[1]) : 0;
}
function localTime(when) {
  const utc = typeof when === "string" ? new Date(when.replace(" ", "T") + "Z") : when;
  return new Date(utc.getTime() + offsetHours() * 3600e3).toISOString().replace("T", " ").slice(0, 19);
}

function change(now, before) {
  if (now === null || now === undefined || before === null || before === undefined) {
    return { text: t("no_prior"), cls: "muted" };
  }
  const a = Number(now), b = Number(before);
  if (b === 0) return a === 0 ? { text: "0.0%", cls: "" } : { text: t("from_zero"), cls: a > 0 ? "up" : "down" };
  const pct = ((a - b) / Math.abs(b)) * 100;
  return { text: (pct > 0 ? "+" : "") + pct.toFixed(1) + "%", cls: pct > 0 ? "up" : pct < 0 ? "down" : "" };
}

class ApiError extends Error {
  constructor(status, detail, requestId) {
    super(detail);
    this.status = status;
    this.requestId = requestId;
  }
}

// the server's text of an error body: {"error": ...} or FastAPI's {"detail": ...}
function serverText(body) {
  const said = body && (body.error ?? body.detail);
  if (typeof said === "string") return said;
  if (Array.isArray(said)) return said.map((d) => d.msg || JSON.stringify(d)).join("; ");
  if (said && typeof said === "object") return said.message || JSON.stringify(said);
  return "";
}

async function api(path, params) {
  const url = new URL(path, location.origin);
  Object.entries(params || {}).forEach(([k, v]) => v !== undefined && url.searchParams.set(k, v));
  let response;
  try {
    response = await fetch(url, { headers: { Authorization: "Bearer " + localStorage.getItem(KEY_STORE) } });
  } catch (error) {
    throw new ApiError(0, error.message, null);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, serverText(body) || response.statusText, response.headers.get("X-Request-ID"));
  }
  return response.json();
}

// A failure in the page's language, with what the server said (and its request id) as detail.
function errorNodes(error, word) {
  const known = word || (error instanceof ApiError ? ERROR_WORDS[error.status] || "err_server" : "err_server");
  const detail = [error.message, error.requestId ? `${t("request_id")} ${error.requestId}` : ""].filter(Boolean);
  return [t(known), detail.length ? el("span", { className: "detail" }, detail.join(" · ")) : null];
}

function showError(box, error, word) {
  box.replaceChildren(...errorNodes(error, word).filter(Boolean));
  box.hidden = false;
}

async function rows(grain, params) {
  let page = 1, all = [];
  while (page) {
    const body = await api("/api/stats/" + grain, { ...params, page, size: 1000 });
    all = all.concat(body.rows);
    page = body.next_page;
  }
  return all;
}

function filters() {
  return {
    start: $("start").value, end: $("end").value, grain: $("grain").value,
    channel: $("channel").value, device_type: $("device_type").value, metric: $("metric").value,
    lang: state.lang,
  };
}

function saveUrl() {
  const query = new URLSearchParams(filters());
  history.replaceState(null, "", location.pathname + "?" + query.toString());
}

function fillSelect(select, names, chosen) {
  select.replaceChildren(...Object.keys(names).map((value) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = typeof names[value] === "string" ? names[value] : dimName(names, value);
    return option;
  }));
  if (chosen && names[chosen] !== undefined) select.value = chosen;
}

function fillSelects() {
  fillSelect($("channel"), state.catalog.channels, $("channel").value);
  fillSelect($("device_type"), state.catalog.device_types, $("device_type").value);
  fillSelect($("metric"), Object.fromEntries(dailyMetrics().map((m) => [m.name, metricName(m)])), $("metric").value);
}

function translate() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
  document.querySelectorAll("[data-title]").forEach((node) => { node.title = t(node.dataset.title); });
  $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
}

// The key prompt alone: no filters, no board under it; `error`: why the key was refused.
function showLogin(error) {
  $("login").hidden = false;
  $("board").hidden = true;
  $("filters").hidden = true;
  $("error").hidden = true;
  state.loginError = error;
  if (error) showError($("login-error"), error);
  else $("login-error").hidden = true;
}

function chart(id) {
  if (!state.charts[id]) state.charts[id] = echarts.init($(id));
  return state.charts[id];
}

function dailyMetrics() { return state.catalog.grains.daily.metrics; }

// Whether `day` has no built data (after the newest day built), and the note that says so.
function notBuilt(day) { return !state.lastDay || day > state.lastDay; }

function notBuiltNote(day) {
  if (!state.lastDay) return el("p", { className: "note not-built" }, t("not_built"));
  const jump = el("button", { type: "button", className: "jump" }, fill("show_day", { day: state.lastDay }));
  jump.addEventListener("click", () => { $("end").value = state.lastDay; refresh(); });
  return el("p", { className: "note not-built" }, ...fillNodes("data_ends", { day: state.lastDay, end: day }), " ", jump);
}

function renderKpis(day, byDate) {
  $("kpi-day").textContent = day;
  if (notBuilt(day)) {
    $("kpis").replaceChildren(notBuiltNote(day));
    return;
  }
  const today = byDate[day] || {};
  $("kpis").replaceChildren(...dailyMetrics().map((m) => {
    const prev = change(today[m.name], (byDate[addDays(day, -1)] || {})[m.name]);
    const week = change(today[m.name], (byDate[addDays(day, -7)] || {})[m.name]);
    const card = el("div", { className: "card", title: m.description },
      el("div", { className: "name" }, metricName(m) + (m.unit === "yuan" ? " (¥)" : "")),
      el("div", { className: "value" }, show(m, today[m.name])),
      el("div", { className: "delta" }, t("vs_prev") + " ", el("span", { className: "prev " + prev.cls }, prev.text)),
      el("div", { className: "delta" }, t("vs_week") + " ", el("span", { className: "week " + week.cls }, week.text)));
    card.dataset.metric = m.name;
    card.dataset.value = today[m.name] ?? "";
    return card;
  }));
}

function line(id, categories, series) {
  chart(id).setOption({
    tooltip: { renderMode: TOOLTIP, trigger: "axis" }, legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 28, top: 30, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: categories, axisLabel: { hideOverlap: true } }, yAxis: { type: "value" },
    series: series.map((s) => ({ type: "line", showSymbol: false, ...s })),
  }, true);
}

function renderTrend(grain, data, metric) {
  const period = PERIOD[grain];
  line("trend", data.map((r) => r[period]), [{ name: metricName(metric), data: data.map((r) => Number(r[metric.name])) }]);
}

function renderSplit(day, data, metric) {
  if (notBuilt(day)) {
    $("split").replaceChildren(notBuiltNote(day));
    return;
  }
  const dims = state.catalog;
  const devices = Object.keys(dims.device_types);
  const cell = {};
  data.forEach((r) => { cell[r.channel + "|" + r.device_type] = r[metric.name]; });
  const table = el("table", { id: "split-table" }, el("caption", { className: "muted" }, `${metricName(metric)} · ${day}`));
  const head = table.createTHead().insertRow();
  head.append(el("th", {}, t("channel") + " \\ " + t("device_type")),
              ...devices.map((d) => el("th", {}, dimName(dims.device_types, d))));
  const body = table.createTBody();
  Object.keys(dims.channels).forEach((c) => {
    const tr = body.insertRow();
    tr.append(el("th", { scope: "row" }, dimName(dims.channels, c)));
    devices.forEach((d) => {
      const td = tr.insertCell();
      td.dataset.slice = c + "|" + d;
      td.dataset.value = cell[c + "|" + d] ?? "";
      td.textContent = show(metric, cell[c + "|" + d]);
    });
  });
  $("split").replaceChildren(table);
}

// New vs old users of the chosen metric: stacked when the metric adds up (counts, amounts),
// side by side when it does not (an average); a metric without the split says so.
function renderUserTypes(data, metric) {
  const split = state.catalog.grains["user-types"].metrics.some((m) => m.name === metric.name);
  const note = $("user-types-note");
  note.hidden = split;
  $("user-types").hidden = !split;
  if (!split) {
    note.textContent = fill(metric.cumulative ? "no_user_split_cumulative" : "no_user_split", { metric: metricName(metric) });
    return;
  }
  const days = [...new Set(data.map((r) => r.stat_date))];
  const of = (type) => days.map((d) => Number((data.find((r) => r.stat_date === d && r.user_type === type) || {})[metric.name] || 0));
  const stack = metric.additive ? "users" : undefined;
  chart("user-types").resize();
  chart("user-types").setOption({
    tooltip: { renderMode: TOOLTIP, trigger: "axis" }, legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 28, top: 30, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: days, axisLabel: { hideOverlap: true } }, yAxis: { type: "value" },
    series: [{ name: t("new"), type: "bar", stack, data: of("new") },
             { name: t("old"), type: "bar", stack, data: of("old") }],
  }, true);
}

// The funnel: its steps top to bottom in the registry's order (funnel_step), one bar each,
// with the count and the conversion from the step before.
function renderFunnel(day, row) {
  const built = !notBuilt(day);
  $("funnel-box").hidden = !built;
  if (!built) return;
  const steps = dailyMetrics().filter((m) => m.funnel_step !== null).sort((a, b) => a.funnel_step - b.funnel_step);
  const values = steps.map((m) => Number(row[m.name] || 0));
  const rate = (i) => (i > 0 && values[i - 1] > 0 ? ` (${((values[i] / values[i - 1]) * 100).toFixed(1)}%)` : "");
  chart("funnel").resize();
  chart("funnel").setOption({
    tooltip: { renderMode: TOOLTIP, trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", show: false, max: (extent) => extent.max * 1.35 || 1 },
    yAxis: { type: "category", inverse: true, data: steps.map(label), axisTick: { show: false } },
    series: [{ type: "bar", data: values, barMaxWidth: 26, name: day,
               label: { show: true, position: "right", formatter: (p) => groupDigits(p.value) + rate(p.dataIndex) } }],
  }, true);
}

// The breakdown table of the day: a dimension's name once above its values, amounts only for
// the dimensions that have them (the registry's `amount`).
function renderBreakdowns(day, breakdowns) {
  if (notBuilt(day)) {
    $("breakdowns").replaceChildren(notBuiltNote(day));
    return;
  }
  const dims = state.catalog.breakdowns;
  const shown = breakdowns.filter((r) => Number(r.item_count) > 0);
  if (!shown.length) {
    $("breakdowns").replaceChildren(el("p", { className: "muted", id: "no-breakdowns" }, t("no_breakdowns")));
    return;
  }
  const amounts = shown.some((r) => (dims[r.dimension] || {}).amount);
  const table = el("table", { id: "breakdown-table" }, el("caption", { className: "muted" }, day));
  table.createTHead().insertRow().append(
    ...[t("dimension"), t("value"), t("count"), ...(amounts ? [t("amount")] : [])].map((h) => el("th", {}, h)));
  const body = table.createTBody();
  shown.forEach((r, i) => {
    const tr = body.insertRow();
    tr.dataset.dimension = r.dimension;
    tr.dataset.value = r.dimension_value;
    const first = i === 0 || shown[i - 1].dimension !== r.dimension;
    if (first) tr.className = "group";
    const dim = dims[r.dimension] || {};
    const cells = [first ? dimName(dims, r.dimension) : "", dimName(dim.values || {}, r.dimension_value),
                   groupDigits(r.item_count)];
    if (amounts) cells.push(dim.amount ? groupDigits(r.amount) : "");
    cells.forEach((v) => { tr.insertCell().textContent = v; });
  });
  $("breakdowns").replaceChildren(table);
}

function renderCumulative(data) {
  const cumulative = dailyMetrics().filter((m) => m.cumulative);
  line("cumulative", data.map((r) => r.stat_date),
       cumulative.map((m) => ({ name: metricName(m), data: data.map((r) => Number(r[m.name])) })));
}

function table(id, headers, rowsOfCells) {
  const node = el("table", { id });
  node.createTHead().insertRow().append(...headers.map((h) => el("th", {}, h)));
  const body = node.createTBody();
  rowsOfCells.forEach((cells) => body.insertRow().append(...cells));
  return node;
}

function renderQuality(q) {
  const zone = state.catalog.timezone;
  const parts = [];
  const b = q.last_build;
  parts.push(el("p", {}, `${t("last_build")}: `, b
    ? el("span", { id: "last-build" },
        el("b", { className: b.outcome === "success" ? "up" : "flag" }, t("outcome_" + b.outcome)), t("sep"),
        ...fillNodes("last_build_text", { start: b.start_date, end: b.end_date, seconds: b.seconds ?? "",
                                  finished: b.finished_at ? localTime(b.finished_at) : "", zone }))
    : t("not_yet")));
  parts.push(el("p", {}, `${t("last_built_day")}: `, el("span", { id: "last-built-day" }, q.last_built_day || t("not_yet"))));
  const c = q.cross_checks;
  parts.push(el("p", {}, `${t("error_rate")}: `, ...(c
    ? fillNodes("cross_check_text", { rate: percent(c.error_rate), checked: c.checked, failed: c.failed, start: c.start_date, end: c.end_date })
    : [t("not_yet")])));
  parts.push(el("h3", {}, t("monitors")));
  parts.push(q.monitors.length
    ? table("monitor-table", [t("monitor"), t("status"), t("current"), t("threshold")], q.monitors.map((m) => {
        const flag = m.flagged ? " flag" : "";
        const cells = [el("td", {}, pick(m.label)), el("td", { className: "nowrap" + flag }, pick(m.status_label)),
                       el("td", { className: "nowrap" + flag }, pick(m.shown.actual)),
                       el("td", { className: "nowrap muted", title: m.threshold }, pick(m.shown.threshold))];
        cells[0].title = m.note || "";
        cells[0].dataset.monitor = m.monitor;
        return cells;
      }))
    : el("p", { className: "muted" }, t("not_yet")));
  parts.push(el("h3", {}, t("alerts")));
  parts.push(q.alerts_24h.length
    ? table("alert-table", [t("severity"), t("check"), t("metric"), t("slice"), t("day"), t("status")],
        q.alerts_24h.map((a) => [pick(a.severity_label), pick(a.check_label), pick(a.metric_labels), sliceName(a.slice),
                                 a.stat_date || "", pick(a.status_label)].map((v, i) => el("td", { className: i === 4 ? "nowrap" : "" }, v))))
    : el("p", { className: "muted", id: "no-alerts" }, t("no_alerts")));
  $("quality").replaceChildren(...parts);
}

async function pollRealtime() {
  const box = $("realtime");
  let body;
  try {
    body = await api("/api/stats/realtime");
  } catch (error) {
    box.replaceChildren(el("p", { className: "muted", id: "realtime-empty" }, ...errorNodes(error, "no_realtime").filter(Boolean)));
    return;
  }
  // the counters the server keeps (the registry's event counters, then the business ones)
  const counters = table("realtime-table", [], body.counters.map((c) => {
    const td = el("td", {}, groupDigits(body[c.name]));
    td.dataset.name = c.name;
    return [el("td", {}, pick({ zh: c.label_zh, en: c.label_en }) + (c.format === "money" ? " (¥)" : "")), td];
  }));
  counters.tHead.remove();
  const footer = el("p", { className: "muted", id: "realtime-footer" },
    fill("realtime_footer", { date: body.date, time: localTime(new Date()).slice(11), zone: state.catalog.timezone }));
  box.replaceChildren(counters, footer);
}

function csvText() {
  const f = filters();
  const metrics = state.catalog.grains[f.grain].metrics.map((m) => m.name);
  const keys = state.catalog.grains[f.grain].keys;
  const lines = [[...keys, ...metrics].join(",")];
  state.shown.forEach((r) => lines.push([...keys, ...metrics].map((k) => r[k]).join(",")));
  return lines.join("\n") + "\n";
}

function downloadCsv() {
  const f = filters();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob(["\ufeff" + csvText()], { type: "text/csv;charset=utf-8" }));
  link.download = `bizstats_${f.grain}_${f.channel}_${f.device_type}_${f.start}_${f.end}.csv`;
  link.click();
}

function failed(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) showLogin(error);
  else showError($("error"), error);
}

async function refresh() {
  saveUrl();
  const f = filters();
  const metric = dailyMetrics().find((m) => m.name === f.metric) || dailyMetrics()[0];
  const slice = { channel: f.channel, device_type: f.device_type };
  $("error").hidden = true;
  try {
    const [trend, kpi, split, users, breakdowns, daily, quality] = await Promise.all([
      rows(f.grain, { start: f.start, end: f.end, ...slice }),
      rows("daily", { start: addDays(f.end, -7), end: f.end, ...slice }),
      rows("daily", { start: f.end, end: f.end, channel: "*", device_type: "*", metrics: metric.name }),
      rows("user-types", { start: f.start, end: f.end }),
      rows("breakdowns", { start: f.end, end: f.end, ...slice }),
      rows("daily", { start: f.start, end: f.end, ...slice }),
      api("/api/quality"),
    ]);
    state.lastDay = quality.last_built_day;
    state.shown = trend;
    const byDate = Object.fromEntries(kpi.map((r) => [r.stat_date, r]));
    renderKpis(f.end, byDate);
    renderTrend(f.grain, trend, metric);
    renderSplit(f.end, split, metric);
    renderUserTypes(users, metric);
    renderFunnel(f.end, byDate[f.end] || {});
    renderBreakdowns(f.end, breakdowns);
    renderCumulative(daily);
    renderQuality(quality);
    document.body.dataset.loaded = JSON.stringify(filters());
  } catch (error) {
    failed(error);
  }
}

async function start() {
  const url = new URLSearchParams(location.search);
  state.lang = url.get("lang") === "en" ? "en" : "zh";
  translate();
  if (!localStorage.getItem(KEY_STORE)) { showLogin(); return; }
  let quality;
  try {
    [state.catalog, quality] = await Promise.all([api("/api/metrics"), api("/api/quality")]);
  } catch (error) {
    failed(error);
    return;
  }
  state.lastDay = quality.last_built_day;
  $("login").hidden = true;
  $("filters").hidden = false;
  $("board").hidden = false;
  // by default the newest day built (yesterday once the nightly build has run)
  const yesterday = addDays(state.catalog.today, -1);
  const newest = state.lastDay && state.lastDay < yesterday ? state.lastDay : yesterday;
  $("end").value = url.get("end") || newest;
  $("start").value = url.get("start") || addDays($("end").value, -29);
  $("grain").value = PERIOD[url.get("grain")] ? url.get("grain") : "daily";
  fillSelect($("channel"), state.catalog.channels, url.get("channel"));
  fillSelect($("device_type"), state.catalog.device_types, url.get("device_type"));
  fillSelect($("metric"), Object.fromEntries(dailyMetrics().map((m) => [m.name, metricName(m)])), url.get("metric"));
  await refresh();
  pollRealtime();
  clearInterval(state.timer);
  state.timer = setInterval(pollRealtime, REALTIME_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  ["start", "end", "grain", "channel", "device_type", "metric"].forEach((id) => $(id).addEventListener("change", refresh));
  $("csv").addEventListener("click", downloadCsv);
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    translate();
    if (state.catalog && !$("board").hidden) {
      fillSelects();
      refresh();
      pollRealtime();
    } else {
      const query = new URLSearchParams(location.search);
      query.set("lang", state.lang);
      history.replaceState(null, "", location.pathname + "?" + query.toString());
      if (state.loginError) showError($("login-error"), state.loginError);
    }
  });
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(KEY_STORE, $("key").value.trim());
    start();
  });
  document.querySelector("#realtime-panel .info").addEventListener("click", () => {
    $("realtime-note").hidden = !$("realtime-note").hidden;  // a phone has no hover
  });
  window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));
  start();
});
