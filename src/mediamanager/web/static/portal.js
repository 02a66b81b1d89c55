// Media Manager portal: progressive enhancement only. Every page works without this file.
"use strict";

function csrfToken(form) {
  const field = form.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

// --- Register works: drop many files, upload a few at a time, a progress bar per file. ---
const PARALLEL = 3;

function uploadOne(form, file, row) {
  return new Promise((resolve) => {
    const bar = row.querySelector("progress");
    const state = row.querySelector(".state");
    const max = Number(form.dataset.maxBytes || "0");
    if (max && file.size > max) {
      state.textContent = "too large";
      state.className = "state failed";
      resolve({ ok: false });
      return;
    }
    const data = new FormData();
    data.append("file", file, file.name);
    const keep = form.querySelector("#keep");
    if (keep && keep.checked) data.append("keep", "true");
    const collection = form.querySelector("#collection");
    if (collection && collection.value) data.append("collection", collection.value);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken(form));
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { error: "unexpected answer" }; }
      const ok = xhr.status === 200 || xhr.status === 201;
      bar.value = 100;
      state.textContent = ok ? body.status + (body.disputes ? " (" + body.disputes + " dispute)" : "") : (body.error || body.detail || "failed");
      state.className = "state " + (ok ? "ok" : "failed");
      resolve({ ok: ok, created: xhr.status === 201 });
    });
    xhr.addEventListener("error", () => {
      state.textContent = "network error";
      state.className = "state failed";
      resolve({ ok: false });
    });
    xhr.send(data);
  });
}

async function uploadAll(form, files) {
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const rows = files.map((file) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = "waiting";
    li.append(name, bar, state);
    list.append(li);
    return li;
  });
  let next = 0, registered = 0, existing = 0, failed = 0;
  summary.textContent = "Uploading " + files.length + " files…";
  async function worker() {
    while (next < files.length) {
      const i = next++;
      const result = await uploadOne(form, files[i], rows[i]);
      if (!result.ok) failed++; else if (result.created) registered++; else existing++;
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
  summary.textContent = "Done: " + registered + " registered, " + existing + " already registered, " + failed + " failed, of " + files.length + ".";
  summary.dataset.done = "true";
}

function setUpRegister() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("files");
  const zone = document.getElementById("dropzone");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.files.length) uploadAll(form, Array.from(input.files));
  });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(form, Array.from(e.dataTransfer.files));
  });
}

// --- Preferences: refresh the published-text preview as the form changes. ---
function setUpPreview() {
  const form = document.getElementById("prefs-form");
  if (!form) return;
  let timer = null;
  async function refresh() {
    const answer = await fetch(form.dataset.preview, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRF-Token": csrfToken(form) },
      credentials: "same-origin",
    });
    if (!answer.ok) return;
    const texts = await answer.json();
    document.querySelectorAll(".preview pre[data-name]").forEach((pre) => {
      if (pre.dataset.name in texts) pre.textContent = texts[pre.dataset.name];
    });
    form.dataset.previewed = String(Number(form.dataset.previewed || "0") + 1);
  }
  const schedule = () => { clearTimeout(timer); timer = setTimeout(refresh, 150); };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

// --- Copy and download buttons for preview texts and new tokens. ---
function setUpCopy() {
  document.querySelectorAll("button.copy").forEach((button) => {
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.target).textContent;
      try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; } catch (err) { button.textContent = "Select and copy"; }
    });
  });
  document.querySelectorAll("button.download").forEach((button) => {
    button.addEventListener("click", () => {
      const text = document.getElementById(button.dataset.target).textContent;
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
      link.download = button.dataset.filename || "preview.txt";
      document.body.append(link);
      link.click();
      link.remove();
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpRegister();
  setUpPreview();
  setUpCopy();
});
