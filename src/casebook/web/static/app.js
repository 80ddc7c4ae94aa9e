// casebook web app: small enhancements; every page works without them.
// - a run's page follows the run live (server-sent events) and shows its end without a reload;
// - the intake form takes files by drag and drop and shows the upload's progress;
// - the use-case editor adds, removes and moves use cases.
"use strict";

(function () {
  function text(el, value) { if (el && el.textContent !== value) el.textContent = value; }
  function fmtTokens(n) { return Number(n || 0).toLocaleString("en-US"); }
  function fmtCost(x) { return "$" + Number(x || 0).toFixed(4); }

  // -- a run's page ------------------------------------------------------------------------
  function applyState(root, s) {
    var status = root.querySelector('[data-field="status"]');
    if (status) {
      text(status, s.status.replace(/_/g, " "));
      status.className = "status status-" + s.status;
    }
    text(root.querySelector('[data-field="step_number"]'), String(s.live ? s.step_number : s.steps_done));
    text(root.querySelector('[data-field="tokens"]'), fmtTokens(s.tokens));
    text(root.querySelector('[data-field="cost"]'), fmtCost(s.cost_usd));
    (s.steps || []).forEach(function (step) {
      var li = root.querySelector('[data-step="' + step.name + '"]');
      if (!li) return;
      li.className = "step step-" + step.state;
      text(li.querySelector("[data-step-state]"), step.state);
      var detail = [];
      if (step.progress) detail.push(step.progress);
      if (step.model) detail.push(step.model);
      if (step.duration && step.state !== "pending") detail.push(step.duration);
      text(li.querySelector("[data-step-detail]"), detail.join(" · "));
    });
    var announce = root.querySelector('[data-field="announce"]');
    var current = (s.steps || []).filter(function (x) { return x.state === "running"; })[0];
    text(announce, s.status.replace(/_/g, " ") + (current ? ": " + current.label : ""));
  }

  function swapMain(url) {
    // The run ended: show its final page (report, downloads, review) in place of this one.
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("run");
        var old = document.getElementById("run");
        if (fresh && old) {
          old.replaceWith(fresh);
          setup(fresh);
        }
      });
  }

  function followRun(root) {
    var url = root.getAttribute("data-events");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    root.setAttribute("data-following", "true");
    source.addEventListener("progress", function (e) { applyState(root, JSON.parse(e.data)); });
    source.addEventListener("end", function (e) {
      source.close();
      applyState(root, JSON.parse(e.data));
      swapMain(window.location.pathname).catch(function () { window.location.reload(); });
    });
  }

  // -- the intake form ---------------------------------------------------------------------
  function enhanceIntake(form) {
    var input = form.querySelector('input[type="file"][name="files"]');
    var zone = form.querySelector("[data-dropzone]");
    var list = form.querySelector("[data-file-list]");
    var bar = form.querySelector("progress[data-upload]");
    var status = form.querySelector("[data-upload-status]");
    if (!input || !zone || !list || !window.FormData || !window.XMLHttpRequest) return;
    var files = [];

    function render() {
      list.innerHTML = "";
      files.forEach(function (file, i) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        name.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove " + file.name);
        remove.addEventListener("click", function () { files.splice(i, 1); render(); });
        li.appendChild(name);
        li.appendChild(remove);
        list.appendChild(li);
      });
    }
    function add(fileList) {
      for (var i = 0; i < fileList.length; i++) files.push(fileList[i]);
      render();
    }
    input.addEventListener("change", function () { add(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) { if (e.dataTransfer) add(e.dataTransfer.files); });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(form);
      data.delete("files");
      files.forEach(function (f) { data.append("files", f, f.name); });
      var button = form.querySelector('button[type="submit"]');
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "casebook");
      if (bar) { bar.hidden = false; bar.value = 0; }
      if (button) button.disabled = true;
      xhr.upload.addEventListener("progress", function (ev) {
        if (!ev.lengthComputable || !bar) return;
        bar.value = Math.round((ev.loaded / ev.total) * 100);
        text(status, "Uploading: " + bar.value + "%");
      });
      xhr.upload.addEventListener("load", function () { text(status, "Uploaded; checking the submission…"); });
      xhr.addEventListener("load", function () {
        if (button) button.disabled = false;
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && xhr.responseURL.indexOf(form.action) !== 0) {
          window.location.assign(xhr.responseURL);  // the run's page (or the confirmation)
          return;
        }
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var fresh = doc.querySelector("form[data-intake]");
        if (!fresh) { document.open(); document.write(xhr.responseText); document.close(); return; }
        showErrors(form, fresh);
        if (bar) bar.hidden = true;
        text(status, "");
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        text(status, "The upload failed: check the connection and send it again.");
      });
      xhr.send(data);
    });
  }

  function showErrors(form, fresh) {
    // Copy the server's messages next to the fields; the values and chosen files stay as they are.
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      var other = fresh.querySelector('[data-error-for="' + el.getAttribute("data-error-for") + '"]');
      el.textContent = other ? other.textContent : "";
      el.hidden = !other || !other.textContent;
    });
    form.querySelectorAll("[name]").forEach(function (field) {
      var other = fresh.querySelector('[name="' + field.name + '"]');
      if (other && other.getAttribute("aria-invalid")) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
    var token = fresh.querySelector('input[name="csrf_token"]');
    var mine = form.querySelector('input[name="csrf_token"]');
    if (token && mine) mine.value = token.value;
    var summary = form.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  // -- the use-case editor -----------------------------------------------------------------
  function enhanceEditor(form) {
    var list = form.querySelector("[data-use-cases]");
    var template = form.querySelector("template[data-new-use-case]");
    if (!list) return;
    function renumber() {
      list.querySelectorAll("[data-use-case]").forEach(function (item, i) {
        var pos = item.querySelector('input[name$=".position"]');
        if (pos) pos.value = String(i + 1);
        var heading = item.querySelector("[data-use-case-number]");
        if (heading) heading.textContent = String(i + 1);
      });
    }
    list.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-move]");
      if (!button) return;
      e.preventDefault();
      var item = button.closest("[data-use-case]");
      var move = button.getAttribute("data-move");
      if (move === "up" && item.previousElementSibling) list.insertBefore(item, item.previousElementSibling);
      if (move === "down" && item.nextElementSibling) list.insertBefore(item.nextElementSibling, item);
      renumber();
      button.focus();
    });
    var add = form.querySelector("button[data-add-use-case]");
    if (add && template) {
      add.hidden = false;
      add.addEventListener("click", function (e) {
        e.preventDefault();
        var index = list.querySelectorAll("[data-use-case]").length + 100;
        var html = template.innerHTML.replace(/__N__/g, String(index));
        list.insertAdjacentHTML("beforeend", html);
        renumber();
        var first = list.lastElementChild.querySelector("input, textarea");
        if (first) first.focus();
      });
    }
    form.querySelectorAll("[data-blank-use-case]").forEach(function (el) { el.remove(); });
    list.querySelectorAll("[data-move-buttons]").forEach(function (el) { el.hidden = false; });
    renumber();
  }

  function setup(root) {
    root = root || document;
    var run = root.id === "run" ? root : root.querySelector("#run[data-events]");
    if (run && run.getAttribute("data-events")) followRun(run);
    root.querySelectorAll("form[data-intake]").forEach(enhanceIntake);
    root.querySelectorAll("form[data-use-case-editor]").forEach(enhanceEditor);
  }

  document.addEventListener("DOMContentLoaded", function () { setup(document); });
})();
