// Tandem status page: polls the AI status JSON and draws inline SVG charts. No build step.
"use strict";
(function () {
  const params = new URLSearchParams(window.location.search);
  const API = params.get("api") || "/api/v1/ai/status";
  const POLL_MS = Number(params.get("poll") || 5000);
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
  const SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

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

  function share(figure) {
    if (!figure || figure.value === null || figure.value === undefined) return null;
    const ci = figure.ci95 ? ` (${(figure.ci95[0] * 100).toFixed(0)}–${(figure.ci95[1] * 100).toFixed(0)}%)` : "";
    return (figure.value * 100).toFixed(1) + "%" + ci;
  }

  function renderQuality(status) {
    const cache = status.response_cache || {};
    document.getElementById("response-cache").textContent = cache.enabled
      ? `${cache.store}, ${cache.hits} hits / ${cache.misses} misses, TTL ${cache.ttl_seconds} s`
      : "off";
    const body = document.querySelector("#quality tbody");
    body.innerHTML = "";
    const features = (status.quality || {}).features || {};
    for (const [feature, entry] of Object.entries(features)) {
      for (const [arm, a] of Object.entries(entry.arms)) {
        const row = document.createElement("tr");
        row.dataset.feature = feature; row.dataset.arm = arm;
        const latency = (a.latency_ms || {}).mean;
        cell(row, feature); cell(row, arm); cell(row, a.answers); cell(row, a.ratings.n);
        cell(row, share(a.ratings.positive_share));
        cell(row, latency === null || latency === undefined ? null : Math.round(latency));
        cell(row, a.cost_per_answer_usd === null || a.cost_per_answer_usd === undefined
          ? null : a.cost_per_answer_usd.toFixed(6));
        cell(row, share(a.failover_rate)); cell(row, share(a.truncation_rate));
        cell(row, entry.verdict.text);
        body.appendChild(row);
      }
    }
  }

  // series: {name: [[x, y], ...]} -> an SVG line chart inside `figure`.
  function lineChart(figure, series, label) {
    figure.querySelectorAll("svg").forEach((n) => n.remove());
    const W = 360, H = 160, P = 28;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label }, figure);
    const points = Object.values(series).flat();
    if (points.length === 0) {
      el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, svg).textContent = "no calls yet";
      return;
    }
    const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y1 = Math.max(...ys, 0) || 1;
    const sx = (x) => P + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * P);
    const sy = (y) => H - P - (y / y1) * (H - 2 * P);
    el("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#999" }, svg);
    el("text", { x: 2, y: P - 8, class: "ymax" }, svg).textContent = y1 < 1 ? y1.toPrecision(2) : Math.round(y1);
    const legend = el("g", { class: "legend" }, svg);
    Object.entries(series).forEach(([name, pts], i) => {
      const color = COLORS[i % COLORS.length];
      el("polyline", {
        "data-provider": name, fill: "none", stroke: color, "stroke-width": 2,
        points: pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "),
      }, svg);
      pts.forEach((p) => el("circle", { cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: 2.5, fill: color }, svg));
      el("text", { x: P + i * 90, y: 12, fill: color }, legend).textContent = name;
    });
  }

  function renderCharts(history) {
    const latency = {}, failovers = { failovers: [] }, spend = {}, totals = {};
    for (const bucket of history) {
      let minuteFailovers = 0;
      for (const [name, f] of Object.entries(bucket.providers)) {
        if (name === "none") { minuteFailovers += f.failovers; continue; }
        (latency[name] = latency[name] || []).push([bucket.minute, f.latency_ms]);
        totals[name] = (totals[name] || 0) + f.cost_usd;
        (spend[name] = spend[name] || []).push([bucket.minute, totals[name]]);
        minuteFailovers += f.failovers;
      }
      failovers.failovers.push([bucket.minute, minuteFailovers]);
    }
    lineChart(document.getElementById("chart-latency"), latency, "latency per provider");
    lineChart(document.getElementById("chart-failovers"), failovers, "failovers per minute");
    lineChart(document.getElementById("chart-spend"), spend, "spend per provider");
  }

  async function refresh() {
    try {
      const response = await fetch(API, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("status " + response.status);
      const status = await response.json();
      document.getElementById("strategy").textContent = status.strategy.name;
      renderProviders(status);
      renderQuality(status);
      renderCharts(status.history || []);
      document.getElementById("updated").textContent = new Date(status.generated_at * 1000).toISOString();
      document.getElementById("error").textContent = "";
      document.body.dataset.loaded = "true";
    } catch (error) {
      document.getElementById("error").textContent = "Could not load status: " + error.message;
    }
  }

  refresh();
  setInterval(refresh, POLL_MS);
})();
