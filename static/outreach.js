// SATIS offline outbox for the street-unit outing form. Progressive enhancement: without this
// file the form posts as usual. With it, a saved outing goes to an outbox kept in the browser's
// storage and is sent as soon as the network allows, each with its own idempotency key, so a
// resend after a lost answer is recognised by the server and never counted twice.
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-outbox]");
  var box = document.getElementById("outbox");
  if (!form || !box || !document.getElementById("save-result") || !window.localStorage || !window.fetch || !window.URLSearchParams) { return; }
  var STORE = "satis.outbox.outings";
  var statusEl = document.getElementById("outbox-status");
  var listEl = document.getElementById("outbox-list");
  var result = document.getElementById("save-result");
  var sending = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/outreach/sw.js", { scope: "/outreach/" }).catch(function () {});
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function store(items) { localStorage.setItem(STORE, JSON.stringify(items)); }
  function without(key) { store(load().filter(function (x) { return x.key !== key; })); }
  function newKey() {
    var a = new Uint8Array(16);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function field(name) { return form.querySelector("[name='" + name + "']"); }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-secondary";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  // Puts a queued record back into the form, to correct it.
  function restore(item) {
    form.reset();
    var seen = {};
    item.fields.forEach(function (kv) {
      var els = form.querySelectorAll("[name='" + kv[0] + "']");
      if (!els.length) { return; }
      if (els[0].type === "checkbox") {
        els.forEach(function (el) { if (el.value === kv[1]) { el.checked = true; } });
        return;
      }
      var i = seen[kv[0]] || 0;
      seen[kv[0]] = i + 1;
      if (els[i]) { els[i].value = kv[1]; }
    });
    without(item.key);
    render();
    form.scrollIntoView();
  }

  function render(message) {
    var items = load();
    box.hidden = items.length === 0 && !message;
    listEl.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.label + (item.error ? " — " + box.dataset.rejected + " " + item.error : "");
      if (item.error) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(button(box.dataset.correct, function () { restore(item); }));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(button(box.dataset.discard, function () { without(item.key); render(); }));
      }
      listEl.appendChild(li);
    });
    var waiting = items.filter(function (x) { return !x.error; }).length;
    var parts = [];
    if (message) { parts.push(message); }
    if (waiting) { parts.push(box.dataset.waiting + " " + waiting); }
    statusEl.textContent = parts.join(" ");
  }

  // Posts one record; `done(outcome, message)` with outcome "sent", "duplicate", "rejected"
  // (the server's message), "signin" or "offline".
  function post(item, done) {
    var body = new URLSearchParams();
    item.fields.forEach(function (kv) { if (kv[0] !== "_csrf") { body.append(kv[0], kv[1]); } });
    body.append("_csrf", field("_csrf").value);
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        return r.json().then(function (j) { done(j.status === "duplicate" ? "duplicate" : "sent"); });
      }
      if (r.status === 422) {
        return r.json().then(function (j) { done("rejected", j.message, j.problems || []); });
      }
      // Signed out or the session expired: keep everything, ask to sign in again.
      done("signin");
    }).catch(function () { done("offline"); });
  }

  // Sends the outbox, oldest first, one at a time.
  function send() {
    if (sending) { return; }
    var item = load().filter(function (x) { return !x.error; })[0];
    if (!item) { return; }
    sending = true;
    post(item, function (outcome, message) {
      sending = false;
      if (outcome === "sent" || outcome === "duplicate") {
        without(item.key);
        render(box.dataset[outcome]);
        send();
      } else if (outcome === "rejected") {
        store(load().map(function (x) { if (x.key === item.key) { x.error = message; } return x; }));
        render();
        send();
      } else {
        render(box.dataset[outcome]);
      }
    });
  }

  // The answer to "Salva l'uscita", where the operator is looking (beside the button), with
  // the focus moved to it so that a screen reader says it too.
  function answer(text, bad, problems) {
    result.hidden = false;
    result.className = "alert " + (bad ? "alert-danger" : "alert-success") + " save-result";
    result.textContent = text;
    // Every problem at once, each a link to the part of the form it is about, which is
    // marked as wrong until the next save.
    if (problems && problems.length) {
      var ul = document.createElement("ul");
      problems.forEach(function (p) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "#" + p.field;
        a.textContent = p.message;
        li.appendChild(a);
        ul.appendChild(li);
        var el = document.getElementById(p.field);
        if (el) { el.setAttribute("aria-invalid", "true"); }
      });
      result.appendChild(ul);
    }
    result.focus();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!form.checkValidity()) { form.reportValidity(); return; }
    if (sending) { answer(box.dataset.wait, true); return; }
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var fields = [];
    new FormData(form).forEach(function (v, k) { if (typeof v === "string") { fields.push([k, v]); } });
    var unit = field("service_id");
    var label = (unit && unit.selectedOptions[0] ? unit.selectedOptions[0].textContent + " " : "") +
      field("started_at").value.replace("T", " ");
    var item = { key: field("idempotency_key").value, fields: fields, label: label };
    // Kept on the device first: whatever happens next, nothing typed is lost.
    var items = load();
    items.push(item);
    store(items);
    render();
    sending = true;
    var button = document.getElementById("save-outing");
    button.disabled = true;
    post(item, function (outcome, message, problems) {
      sending = false;
      button.disabled = false;
      if (outcome === "rejected") {
        // Refused: the form keeps what was typed, to be corrected and saved again.
        without(item.key);
        render();
        answer(problems.length ? box.dataset.refused : box.dataset.rejected + " " + message, true, problems);
        return;
      }
      if (outcome === "sent" || outcome === "duplicate") { without(item.key); }
      // Sent, or safe in the outbox: the form is ready for the next record.
      form.reset();
      field("idempotency_key").value = newKey();
      render(box.dataset[outcome]);
      answer(box.dataset[outcome], outcome === "signin");
      send();
    });
  });

  document.getElementById("outbox-send").addEventListener("click", send);
  window.addEventListener("online", send);
  window.setInterval(send, 30000);
  render();
  send();
})();
