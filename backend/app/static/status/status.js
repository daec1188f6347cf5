// Tandem status page: polls the AI status JSON and draws its history with Chartist
// (vendored in vendor/chartist/, see its README). No build step.
//
// Safety rules (issue 13): the data URL can only be a same-origin path (a link cannot
// point an admin's page, and their key, at another host), polling never runs faster than
// MIN_POLL_MS, and in api-keys mode the admin key is typed into the page, kept in this
// tab's sessionStorage and sent as an Authorization header, never put in a URL.
"use strict";
(function () {
  const DEFAULT_API = "/api/v1/ai/status";
  const DEFAULT_POLL_MS = 5000;
  const MIN_POLL_MS = 2000;
  const KEY_STORAGE = "tandem-status-admin-key";
  // Chartist's default colours of series a, b, c, ... (chartist.css), for the HTML legends.
  const COLORS = ["#d70206", "#f05b4f", "#f4c63d", "#d17905", "#453d3f", "#59922b", "#0544d3"];

  const params = new URLSearchParams(window.location.search);
  const notes = [];

  function sameOriginPath(value) {
    // Only "/path" (not "//host", not "http:...", no backslashes) that stays on this origin.
    if (!value || !/^\/(?![\/\\])[^\\]*$/.test(value)) return null;
    const url = new URL(value, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search : null;
  }

  const requestedApi = params.get("api");
  const API = sameOriginPath(requestedApi) || DEFAULT_API;
  if (requestedApi && API !== requestedApi) notes.push("ignored ?api=: only a path on this server is allowed");
  const requestedPoll = params.has("poll") ? Number(params.get("poll")) : NaN;
  const POLL_MS = Math.max(MIN_POLL_MS, Number.isFinite(requestedPoll) ? requestedPoll : DEFAULT_POLL_MS);
  if (params.has("poll") && POLL_MS !== requestedPoll) notes.push("poll interval set to " + POLL_MS + " ms (minimum " + MIN_POLL_MS + ")");

  const $ = (id) => document.getElementById(id);

  function storedKey() {
    try { return window.sessionStorage.getItem(KEY_STORAGE); } catch (e) { return null; }
  }

  function showSignIn(message) {
    $("sign-in").hidden = false;
    $("sign-out").hidden = true;
    $("error").textContent = message;
  }

  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) return;
    window.sessionStorage.setItem(KEY_STORAGE, key);
    $("api-key").value = "";
    $("sign-in").hidden = true;
    refresh();
  });

  $("sign-out").addEventListener("click", () => {
    window.sessionStorage.removeItem(KEY_STORAGE);
    showSignIn("Signed out.");
  });

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "–" : String(text);
    row.appendChild(td);
  }

  function renderProviders(status) {
    const body = document.querySelector("#providers tbody");
    body.innerHTML = "";
    for (const [name, p] of Object.entries(status.providers)) {
      const row = document.createElement("tr");
      row.dataset.provider = name;
      const health = p.health || {};
      const daily = (p.spend || {}).daily || {};
      cell(row, name); cell(row, p.role); cell(row, p.model); cell(row, p.configured ? "yes" : "no");
      cell(row, p.circuit || "closed");
      cell(row, p.recent_latency_ms === null || p.recent_latency_ms === undefined
        ? null : Math.round(p.recent_latency_ms));
      cell(row, (health.successes || 0) + " / " + (health.failures || 0));
      cell(row, daily.spent_usd === null || daily.spent_usd === undefined ? null : daily.spent_usd.toFixed(6));
      cell(row, daily.remaining_usd === null || daily.remaining_usd === undefined
        ? "no budget" : daily.remaining_usd.toFixed(4));
      body.appendChild(row);
    }
  }

  function timeLabel(ms) {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  // series: {name: [{x: ms, y}, ...]} -> a Chartist line chart with a time axis and an HTML legend.
  function lineChart(figure, series, yLabel) {
    const container = figure.querySelector(".chart");
    const legend = figure.querySelector(".legend");
    const names = Object.keys(series).filter((name) => series[name].length > 0);
    legend.innerHTML = "";
    names.forEach((name, i) => {
      const item = document.createElement("li");
      item.textContent = name;
      item.dataset.series = name;
      item.style.setProperty("--swatch", COLORS[i % COLORS.length]);
      legend.appendChild(item);
    });
    if (names.length === 0) {
      if (container.__chartist__) container.__chartist__.detach();
      container.innerHTML = '<p class="empty">no calls in the last hour</p>';
      return;
    }
    const xs = names.flatMap((name) => series[name].map((p) => p.x));
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const ticks = [];
    const step = Math.max(60000, Math.ceil((x1 - x0) / 4 / 60000) * 60000);
    for (let t = x0; t <= x1; t += step) ticks.push(t);
    const chart = new Chartist.LineChart(container, {
      series: names.map((name) => ({ name: name, data: series[name] })),
    }, {
      height: "220px",
      showPoint: true,
      lineSmooth: Chartist.Interpolation.none(),
      chartPadding: { top: 10, right: 20, bottom: 5, left: 10 },
      axisX: { type: Chartist.FixedScaleAxis, ticks: ticks, low: x0, high: x1 === x0 ? x0 + 60000 : x1,
        labelInterpolationFnc: timeLabel },
      axisY: { low: 0, labelInterpolationFnc: (v) => (v < 1 && v > 0 ? v.toPrecision(2) : String(Math.round(v * 1000) / 1000)) },
    });
    chart.on("draw", (data) => {
      if (data.type === "line" || data.type === "point") data.element.attr({ "data-series": data.series.name });
    });
    container.setAttribute("aria-label", figure.querySelector("figcaption").textContent.trim() + " (" + yLabel + ")");
  }

  function renderCharts(history) {
    const latency = {}, spend = {}, totals = {};
    const failovers = { failovers: [], "failed attempts": [] };
    const minutes = history.map((bucket) => bucket.minute);
    const first = Math.min(...minutes), last = Math.max(...minutes);
    const byMinute = new Map(history.map((bucket) => [bucket.minute, bucket.providers]));
    for (let minute = first; history.length && minute <= last; minute += 60) {
      const providers = byMinute.get(minute) || {};
      let minuteFailovers = 0, minuteErrors = 0;
      for (const [name, f] of Object.entries(providers)) {
        minuteFailovers += f.failovers; minuteErrors += f.errors;
        if (name === "none") continue;
        if (f.latency_ms !== null && f.latency_ms !== undefined) {
          (latency[name] = latency[name] || []).push({ x: minute * 1000, y: f.latency_ms });
        }
        totals[name] = (totals[name] || 0) + f.cost_usd;
        (spend[name] = spend[name] || []).push({ x: minute * 1000, y: totals[name] });
      }
      failovers.failovers.push({ x: minute * 1000, y: minuteFailovers });
      failovers["failed attempts"].push({ x: minute * 1000, y: minuteErrors });
    }
    lineChart($("chart-latency"), latency, "ms");
    lineChart($("chart-failovers"), failovers, "per minute");
    lineChart($("chart-spend"), spend, "USD");
  }

  async function refresh() {
    const headers = { Accept: "application/json" };
    const key = storedKey();
    if (key) headers.Authorization = "Bearer " + key;
    try {
      // Resolved against the origin, so a page opened as http://user:pass@host/ still works.
      const response = await fetch(new URL(API, window.location.origin), { headers: headers, credentials: "omit" });
      if (response.status === 401) return showSignIn(key ? "That key was not accepted: sign in again." : "Sign in with an admin API key.");
      if (response.status === 403) return showSignIn("That key is not an admin key: sign in with an admin key.");
      if (!response.ok) throw new Error("status " + response.status);
      const status = await response.json();
      $("sign-in").hidden = true;
      $("sign-out").hidden = !key;
      $("strategy").textContent = status.strategy.name;
      renderProviders(status);
      renderCharts(status.history || []);
      $("history-source").textContent = "History: " + (status.history_source || "–") + ". " + notes.join(". ");
      $("updated").textContent = new Date(status.generated_at * 1000).toISOString();
      $("error").textContent = "";
      document.body.dataset.loaded = "true";
    } catch (error) {
      $("error").textContent = "Could not load status: " + error.message;
    }
  }

  document.body.dataset.pollMs = String(POLL_MS);
  document.body.dataset.api = API;
  refresh();
  setInterval(refresh, POLL_MS);
})();
