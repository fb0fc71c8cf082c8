// artdag L1 dashboard: small progressive enhancements. Every page works without them.
"use strict";

// Thumbnails: a missing one answers 503 while a worker makes it. Show the
// placeholder and try again with growing pauses; no page reload needed.
document.addEventListener("error", (event) => {
  const img = event.target;
  if (!(img instanceof HTMLImageElement) || !img.dataset.thumb) return;
  const figure = img.closest(".preview");
  const tries = Number(img.dataset.tries || 0);
  figure?.classList.add("pending");
  if (tries >= 30) { figure?.classList.add("failed"); return; }
  img.dataset.tries = String(tries + 1);
  setTimeout(() => { img.src = `${img.dataset.thumb}?try=${tries + 1}`; }, Math.min(500 * 1.5 ** tries, 5000));
}, true);
document.addEventListener("load", (event) => {
  const img = event.target;
  if (img instanceof HTMLImageElement && img.dataset.thumb) img.closest(".preview")?.classList.remove("pending");
}, true);

// Copy-as-JSON buttons: data-copy names the element whose text is copied.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy)?.textContent || "";
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Not a secure context (plain http on a LAN address): fall back to a selection.
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.body.append(area); area.select(); document.execCommand("copy"); area.remove();
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Render form: each recipe has inputs and params of its own, laid out by the
// server, so choosing another recipe reloads the form for it, keeping the
// inputs filled so far (in order) and the output name.
document.querySelectorAll("select[data-recipe]").forEach((select) => {
  select.addEventListener("change", () => {
    const query = new URLSearchParams({ recipe: select.value });
    select.form.querySelectorAll("[data-input]").forEach((input) => {
      if (input.value.trim()) query.append("inputs", input.value.trim());
    });
    const output = select.form.querySelector("#id_output_name");
    if (output && output.value) query.set("output_name", output.value);
    window.location.search = query.toString();
  });
});

// Upload: drag-and-drop or picker, sent to POST /cache with a progress bar.
const uploader = document.getElementById("uploader");
if (uploader) {
  const drop = uploader.querySelector(".drop");
  const input = uploader.querySelector("input[type=file]");
  const bar = uploader.querySelector("progress");
  const status = uploader.querySelector("[role=status]");
  const send = (file) => {
    const body = new FormData();
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploader.dataset.endpoint);
    xhr.setRequestHeader("X-CSRFToken", uploader.querySelector("[name=csrfmiddlewaretoken]").value);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
      status.textContent = `Uploading ${file.name}: ${Math.round(100 * e.loaded / (e.total || 1))} %`;
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON: say so below */ }
      if (xhr.status === 200 || xhr.status === 201) {
        status.textContent = `Stored ${file.name}. Opening it…`;
        window.location.assign(`/cache/${body.content_hash}/detail`);
      } else {
        status.textContent = `Upload failed: ${body.error?.message || xhr.statusText || xhr.status}`;
      }
    });
    xhr.addEventListener("error", () => { status.textContent = "Upload failed: the connection dropped."; });
    bar.hidden = false; bar.value = 0;
    xhr.send(body);
  };
  uploader.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.files.length) send(input.files[0]);
  });
  ["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (e) => {
    e.preventDefault(); drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => drop.addEventListener(name, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
  });
}
