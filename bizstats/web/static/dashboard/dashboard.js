// The bizstats dashboard: reads the query API (GET /api/metrics, /api/stats/*, /api/quality)
// and the collector's real-time counters (GET /api/stats/realtime). Every metric, label, unit
// and definition comes from the metric catalogue, so a metric added in the dbt project shows
// here with no change to this file. The filters live in the URL (a shareable link); the API
// key in localStorage (never in the URL).
"use strict";

const WORDS = window.BIZSTATS_I18N;
const KEY_STORE = "bizstats.apiKey";
const PERIOD = { daily: "stat_date", weekly: "week_start", monthly: "month_start" };
const REALTIME_MS = 5000;
// ECharts' HTML tooltips carry inline style attributes, which the page's Content-Security-Policy
// refuses (bizstats/web/security.py): tooltips are drawn in the chart's canvas instead
const TOOLTIP = "richText";
const state = { lang: "zh", catalog: null, shown: [], charts: {} };

const $ = (id) => document.getElementById(id);
const t = (word) => WORDS[state.lang][word] || word;

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
  if (value === null || value === undefined) return "—";
  if (metric.format === "duration") return groupDigits(value) + " " + t("seconds");
  if (metric.format === "percent") return percent(value);
  return groupDigits(value);
}

function label(metric) { return state.lang === "zh" ? metric.short_zh : metric.short_en; }
function longLabel(metric) { return state.lang === "zh" ? metric.label_zh : metric.label_en; }
function dimName(names, value) { return (names[value] || {})[state.lang] || value; }

function change(now, before) {
  const a = Number(now), b = Number(before);
  if (before === undefined || b === 0) return { text: "—", cls: "" };
  const pct = ((a - b) / Math.abs(b)) * 100;
  return { text: (pct > 0 ? "+" : "") + pct.toFixed(1) + "%", cls: pct > 0 ? "up" : pct < 0 ? "down" : "" };
}

async function api(path, params) {
  const url = new URL(path, location.origin);
  Object.entries(params || {}).forEach(([k, v]) => v !== undefined && url.searchParams.set(k, v));
  const response = await fetch(url, { headers: { Authorization: "Bearer " + localStorage.getItem(KEY_STORE) } });
  if (response.status === 401 || response.status === 403) {
    showLogin();
    throw new Error((await response.json()).error);
  }
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  return response.json();
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

function translate() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
}

function showLogin() { $("login").hidden = false; $("board").hidden = true; }

function chart(id) {
  if (!state.charts[id]) state.charts[id] = echarts.init($(id));
  return state.charts[id];
}

function dailyMetrics() { return state.catalog.grains.daily.metrics; }

function renderKpis(day, byDate) {
  const today = byDate[day] || {};
  $("kpi-day").textContent = day;
  $("kpis").replaceChildren(...dailyMetrics().map((m) => {
    const card = document.createElement("div");
    card.className = "card";
    card.dataset.metric = m.name;
    card.dataset.value = today[m.name] ?? "";
    card.title = m.description;
    const prev = change(today[m.name], (byDate[addDays(day, -1)] || {})[m.name]);
    const week = change(today[m.name], (byDate[addDays(day, -7)] || {})[m.name]);
    card.innerHTML = `<div class="name"></div><div class="value"></div>
      <div class="delta">${t("vs_prev")} <span class="prev ${prev.cls}">${prev.text}</span></div>
      <div class="delta">${t("vs_week")} <span class="week ${week.cls}">${week.text}</span></div>`;
    card.querySelector(".name").textContent = `${label(m)} · ${longLabel(m)}` + (m.unit === "yuan" ? " (¥)" : "");
    card.querySelector(".value").textContent = show(m, today[m.name]);
    return card;
  }));
}

function line(id, categories, series) {
  chart(id).setOption({
    tooltip: { renderMode: TOOLTIP, trigger: "axis" }, legend: { top: 0 }, grid: { left: 60, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: categories }, yAxis: { type: "value" },
    series: series.map((s) => ({ type: "line", showSymbol: false, ...s })),
  }, true);
}

function renderTrend(grain, data, metric) {
  const period = PERIOD[grain];
  line("trend", data.map((r) => r[period]), [{ name: longLabel(metric), data: data.map((r) => Number(r[metric.name])) }]);
}

function renderSplit(day, data, metric) {
  const dims = state.catalog;
  const devices = Object.keys(dims.device_types);
  const cell = {};
  data.forEach((r) => { cell[r.channel + "|" + r.device_type] = r[metric.name]; });
  const table = document.createElement("table");
  table.id = "split-table";
  table.innerHTML = `<caption class="muted">${longLabel(metric)} · ${day}</caption>`;
  const head = table.createTHead().insertRow();
  head.insertCell().textContent = t("channel") + " \\ " + t("device_type");
  devices.forEach((d) => { head.appendChild(document.createElement("th")).textContent = dimName(dims.device_types, d); });
  Object.keys(dims.channels).forEach((c) => {
    const tr = table.createTBody().insertRow();
    tr.insertCell().textContent = dimName(dims.channels, c);
    devices.forEach((d) => {
      const td = tr.insertCell();
      td.dataset.slice = c + "|" + d;
      td.dataset.value = cell[c + "|" + d] ?? "";
      td.textContent = show(metric, cell[c + "|" + d]);
    });
  });
  $("split").replaceChildren(table);
}

function renderUserTypes(data, metric) {
  const days = [...new Set(data.map((r) => r.stat_date))];
  const of = (type) => days.map((d) => Number((data.find((r) => r.stat_date === d && r.user_type === type) || {})[metric.name] || 0));
  chart("user-types").setOption({
    tooltip: { renderMode: TOOLTIP, trigger: "axis" }, legend: { top: 0 }, grid: { left: 60, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: days }, yAxis: { type: "value" },
    series: [{ name: t("new"), type: "bar", stack: "u", data: of("new") },
             { name: t("old"), type: "bar", stack: "u", data: of("old") }],
  }, true);
}

function renderFunnel(day, row, breakdowns) {
  const steps = dailyMetrics().filter((m) => m.funnel_step !== null).sort((a, b) => a.funnel_step - b.funnel_step);
  chart("funnel").setOption({
    tooltip: { renderMode: TOOLTIP, trigger: "item" },
    series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", label: { formatter: "{b}: {c}" },
               data: steps.map((m) => ({ name: label(m), value: Number(row[m.name] || 0) })) }],
  }, true);
  const table = document.createElement("table");
  table.innerHTML = `<caption class="muted">${day}</caption><thead><tr><th>${t("dimension")}</th>
    <th>${t("value")}</th><th>${t("count")}</th><th>${t("amount")}</th></tr></thead>`;
  const body = table.createTBody();
  const dims = state.catalog.breakdowns;
  breakdowns.filter((r) => Number(r.item_count) > 0).forEach((r) => {
    const tr = body.insertRow();
    tr.dataset.dimension = r.dimension;
    tr.dataset.value = r.dimension_value;
    [dimName(dims, r.dimension), dimName((dims[r.dimension] || {}).values || {}, r.dimension_value),
     groupDigits(r.item_count), groupDigits(r.amount)].forEach((v) => { tr.insertCell().textContent = v; });
  });
  $("breakdowns").replaceChildren(table);
}

function renderCumulative(data) {
  const cumulative = dailyMetrics().filter((m) => m.cumulative);
  line("cumulative", data.map((r) => r.stat_date),
       cumulative.map((m) => ({ name: longLabel(m), data: data.map((r) => Number(r[m.name])) })));
}

function renderQuality(q) {
  const parts = [];
  const b = q.last_build;
  parts.push(`<p>${t("last_build")}: ${b ? `<b class="${b.outcome === "success" ? "up" : "flag"}">${t(b.outcome)}</b>
    ${b.start_date} .. ${b.end_date}, ${b.seconds} ${t("seconds")} (${b.finished_at} UTC)` : t("not_yet")}</p>`);
  parts.push(`<p>${t("last_built_day")}: ${q.last_built_day || t("not_yet")}</p>`);
  const c = q.cross_checks;
  parts.push(`<p>${t("error_rate")}: ${c ? `<span id="error-rate">${(Number(c.error_rate) * 100).toFixed(2)}%</span>
    (${c.failed}/${c.checked}, ${c.start_date} .. ${c.end_date})` : t("not_yet")}</p>`);
  parts.push(`<p>${t("monitors")}:</p>`);
  parts.push(q.monitors.length ? "<table>" + q.monitors.map((m) => `<tr><td>${m.monitor}</td><td>${m.status}</td>
    <td class="${m.flagged ? "flag" : ""}">${m.actual ?? "—"}</td><td class="muted">${m.threshold}</td></tr>`).join("") + "</table>"
    : `<p class="muted">${t("not_yet")}</p>`);
  parts.push(`<p>${t("alerts")}:</p>`);
  parts.push(q.alerts_24h.length ? "<table>" + q.alerts_24h.map((a) => `<tr><td>${a.severity}</td><td>${a.check}</td>
    <td>${a.metric_label}</td><td>${a.slice}</td><td>${a.stat_date || ""}</td><td>${a.status}</td></tr>`).join("") + "</table>"
    : `<p class="muted" id="no-alerts">${t("no_alerts")}</p>`);
  $("quality").innerHTML = parts.join("");
}

async function pollRealtime() {
  const box = $("realtime");
  try {
    const response = await fetch("/api/stats/realtime", { headers: { Authorization: "Bearer " + localStorage.getItem(KEY_STORE) } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    // the counters the server keeps (the registry's event counters, then the business ones)
    const table = document.createElement("table");
    table.id = "realtime-table";
    body.counters.forEach((c) => {
      const tr = table.insertRow();
      tr.insertCell().textContent = state.lang === "zh" ? c.label_zh : c.label_en;
      const td = tr.insertCell();
      td.dataset.name = c.name;
      td.textContent = groupDigits(body[c.name]);
    });
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = `${body.date} · ${t("updated")} ${new Date().toLocaleTimeString()}`;
    box.replaceChildren(table, note);
  } catch (error) {
    box.innerHTML = `<p class="muted" id="realtime-empty">${t("no_realtime")}: ${error.message}</p>`;
  }
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
    state.shown = trend;
    const byDate = Object.fromEntries(kpi.map((r) => [r.stat_date, r]));
    renderKpis(f.end, byDate);
    renderTrend(f.grain, trend, metric);
    renderSplit(f.end, split, metric);
    renderUserTypes(users, metric);
    renderFunnel(f.end, byDate[f.end] || {}, breakdowns);
    renderCumulative(daily);
    renderQuality(quality);
    document.body.dataset.loaded = JSON.stringify(filters());
  } catch (error) {
    $("error").textContent = error.message;
    $("error").hidden = false;
  }
}

async function start() {
  const url = new URLSearchParams(location.search);
  state.lang = url.get("lang") === "en" ? "en" : "zh";
  translate();
  if (!localStorage.getItem(KEY_STORE)) { showLogin(); return; }
  try {
    state.catalog = await api("/api/metrics");
  } catch (error) {
    $("error").textContent = error.message;
    $("error").hidden = false;
    return;
  }
  $("login").hidden = true;
  $("board").hidden = false;
  const yesterday = addDays(state.catalog.today, -1);
  $("end").value = url.get("end") || yesterday;
  $("start").value = url.get("start") || addDays($("end").value, -29);
  $("grain").value = PERIOD[url.get("grain")] ? url.get("grain") : "daily";
  fillSelect($("channel"), state.catalog.channels, url.get("channel"));
  fillSelect($("device_type"), state.catalog.device_types, url.get("device_type"));
  fillSelect($("metric"), Object.fromEntries(dailyMetrics().map((m) => [m.name, `${label(m)} · ${longLabel(m)}`])), url.get("metric"));
  await refresh();
  pollRealtime();
  setInterval(pollRealtime, REALTIME_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  ["start", "end", "grain", "channel", "device_type", "metric"].forEach((id) => $(id).addEventListener("change", refresh));
  $("csv").addEventListener("click", downloadCsv);
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    translate();
    if (state.catalog) {
      fillSelect($("channel"), state.catalog.channels, $("channel").value);
      fillSelect($("device_type"), state.catalog.device_types, $("device_type").value);
      fillSelect($("metric"), Object.fromEntries(dailyMetrics().map((m) => [m.name, `${label(m)} · ${longLabel(m)}`])), $("metric").value);
      refresh();
    }
  });
  $("save-key").addEventListener("click", () => {
    localStorage.setItem(KEY_STORE, $("key").value.trim());
    start();
  });
  window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));
  start();
});
