// artdag L1 live pages: the run page, the run list and home follow Server-Sent
// Events (GET /runs/{id}/events, GET /events). Without them (no JavaScript,
// an old browser, a lost connection) the pages poll as before.
"use strict";

(() => {
  const fmt = (seconds) => {
    if (seconds == null) return "time left not known yet";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `about ${s} s left`;
    const m = Math.floor(s / 60);
    return m < 60 ? `about ${m} min ${s % 60} s left` : `about ${Math.floor(m / 60)} h ${m % 60} min left`;
  };
  const FINISHED = new Set(["completed", "failed", "cancelled"]);
  let streaming = false;  // while a stream is open, the htmx poll of the same part stands down

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (streaming && event.detail.elt && event.detail.elt.dataset.stream) event.preventDefault();
  });

  // --- the run page -----------------------------------------------------------
  const setStatus = (el, status) => {
    if (!el) return;
    el.textContent = status;
    el.className = `status ${status}`;
  };

  const setNode = (live, node, status, frames) => {
    const g = live.querySelector(`svg.dag g.node[data-node="${CSS.escape(node)}"]`);
    if (g && status) {
      g.classList.remove("pending", "running", "done", "cached", "failed");
      g.classList.add(status);
      g.dataset.status = status;
    }
    if (g) {
      const bar = g.querySelector(".bar");
      const box = g.querySelector(".box");
      const share = status === "running" && frames && frames.frames_total
        ? Math.min(1, frames.frames_done / frames.frames_total) : 0;
      if (bar && box) bar.setAttribute("width", String(Math.round(Number(box.getAttribute("width")) * share)));
      const text = g.querySelector(".state");
      if (text) text.textContent = status === "running" && share ? ` · running ${Math.round(share * 100)}%` : ` · ${g.dataset.status || ""}`;
    }
    const cell = live.querySelector(`#run-steps tr[data-node="${CSS.escape(node)}"] .status`);
    if (cell && status) setStatus(cell, status);
  };

  const setFrames = (live, steps) => {
    const box = live.querySelector("#run-frames");
    if (!box || !steps) return;
    box.replaceChildren(...Object.entries(steps).map(([node, f]) => {
      const p = document.createElement("p");
      p.className = "frames"; p.dataset.node = node;
      const code = document.createElement("code"); code.textContent = node;
      const bar = document.createElement("progress");
      bar.max = f.frames_total || 1; bar.value = f.frames_done || 0;
      const count = document.createElement("span"); count.className = "count";
      count.textContent = f.frames_total ? `${f.frames_done} / ${f.frames_total} frames` : "rendering…";
      p.append(code, " ", bar, " ", count);
      return p;
    }));
    Object.entries(steps).forEach(([node, f]) => setNode(live, node, "running", f));
  };

  const setProgress = (live, data) => {
    const bar = live.querySelector("#run-progress");
    if (bar && data.steps_total != null) {
      bar.max = data.steps_total || 1; bar.value = data.steps_done || 0;
      const text = live.querySelector("#run-progress-text");
      if (text) text.textContent = `${data.steps_done} of ${data.steps_total} steps done`;
    }
    const eta = live.querySelector("#run-eta");
    if (eta && "eta_seconds" in data) eta.textContent = fmt(data.eta_seconds);
    if ("steps" in data) setFrames(live, data.steps);
  };

  const setPreview = (live, url) => {
    const figure = live.querySelector("#run-preview");
    if (!figure || !url) return;
    figure.querySelector("img").src = url;
    figure.hidden = false;
  };

  // The part htmx may also replace (its poll, before the stream opens): always
  // look it up afresh.
  const part = () => document.getElementById("run-live");

  const followRun = (url) => {
    const source = new EventSource(url);
    let refreshing = false;
    const finish = async () => {
      // The finished page has the output, provenance and every step's link.
      if (refreshing) return;
      refreshing = true;
      source.close(); streaming = false;
      const live = part();
      const response = await fetch(`/runs/${live.dataset.run}/live`, { headers: { Accept: "text/html" } });
      if (!response.ok) { refreshing = false; return; }
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const next = holder.querySelector("#run-live");
      if (!next) return;
      part().replaceWith(next);
      if (window.htmx) window.htmx.process(next);
      if (next.dataset.stream) followRun(next.dataset.stream);  // re-queued meanwhile: still live
    };
    source.addEventListener("open", () => { streaming = true; });
    source.addEventListener("error", () => { streaming = false; });  // polling covers the gap
    source.addEventListener("snapshot", (e) => {
      const data = JSON.parse(e.data);
      const live = part();
      setStatus(live.querySelector("#run-status"), data.status);
      Object.entries(data.nodes || {}).forEach(([node, s]) => setNode(live, node, s.status, s));
      setProgress(live, data);
      setPreview(live, data.preview);
      if (FINISHED.has(data.status)) finish();
    });
    source.addEventListener("state", (e) => {
      const data = JSON.parse(e.data);
      const live = part();
      setStatus(live.querySelector("#run-status"), data.status);
      live.dataset.status = data.status;
      if (FINISHED.has(data.status)) finish();
    });
    source.addEventListener("step", (e) => {
      const data = JSON.parse(e.data);
      setNode(part(), data.node, data.status, null);
      setProgress(part(), data);
    });
    source.addEventListener("progress", (e) => setProgress(part(), JSON.parse(e.data)));
    source.addEventListener("preview", (e) => setPreview(part(), JSON.parse(e.data).url));
  };

  const run = part();
  if (run && run.dataset.stream && window.EventSource) followRun(run.dataset.stream);

  // --- the run list and home: a row's status changes in place; new runs and
  // outputs come with a refresh of the list, at most once a second ----------
  const list = document.querySelector("[data-live-list]");
  if (list) {
    let timer = null;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(async () => {
        timer = null;
        const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
        if (!response.ok) return;
        const holder = document.createElement("div");
        holder.innerHTML = await response.text();
        const next = holder.querySelector(`#${list.id}`);
        const current = document.getElementById(list.id);
        if (next && current) current.replaceChildren(...next.childNodes);
      }, 1000);
    };
    let polling = null;
    const poll = () => { if (!polling) polling = setInterval(refresh, 5000); };
    if (window.EventSource) {
      const source = new EventSource("/events");
      let opened = false;
      source.addEventListener("open", () => {
        // The stream starts at its own "now": a run that changed between the
        // page's render and this first connection would be missed, so the
        // list is read once more (reconnections resume by Last-Event-ID).
        if (!opened) refresh();
        opened = true;
        if (polling) { clearInterval(polling); polling = null; }
      });
      source.addEventListener("error", () => {
        // Refused (not logged in: /events is the caller's runs) or lost: poll.
        if (!opened || source.readyState === EventSource.CLOSED) source.close();
        poll();
      });
      source.addEventListener("state", (e) => {
        const data = JSON.parse(e.data);
        const rows = document.querySelectorAll(`[data-run="${CSS.escape(data.run)}"] .status`);
        rows.forEach((el) => setStatus(el, data.status));
        if (!rows.length || FINISHED.has(data.status)) refresh();
      });
    } else {
      poll();
    }
  }
})();
