// The screening form (templates/checkpoints/record.html), for a worker at a road on a phone. The
// form works without this file; with it: more occupants are added in place, the re-test field
// appears only after a fever, and a submission that cannot reach the server is kept on the phone
// and sent — with its idempotency key, so never twice — when the network returns.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("screening-form");
  const status = document.getElementById("queue-status");
  if (!form || !status) return;
  const THRESHOLD = 37.3;
  const QUEUE = "fk-screening-queue";
  const beijing = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  const beijingNow = () => beijing.format(new Date()).replace(" ", "T");
  const randomKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  // The second reading is asked for only after a first one at or above the threshold.
  const watchFever = (row) => {
    const first = row.querySelector("[data-temperature]");
    const retest = row.querySelector("[data-retest]");
    if (!first || !retest) return;
    const update = () => {
      const value = parseFloat(first.value.replace(",", "."));
      const input = retest.querySelector("input");
      retest.hidden = !(value >= THRESHOLD) && !(input && input.value);
    };
    first.addEventListener("input", update);
    update();
  };
  const rows = document.getElementById("occupants");
  rows.querySelectorAll(".occupant").forEach(watchFever);

  // Another occupant: a copy of the last row, emptied, numbered on.
  const add = document.getElementById("add-occupant");
  if (add) {
    add.addEventListener("click", (event) => {
      event.preventDefault();
      const last = rows.querySelector(".occupant:last-of-type");
      const next = Number(last.dataset.row) + 1;
      const copy = last.cloneNode(true);
      copy.dataset.row = String(next);
      for (const input of copy.querySelectorAll("input")) {
        input.name = input.name.replace(/^occupants\.\d+\./, "occupants." + next + ".");
        if (input.type === "checkbox") input.checked = false; else input.value = "";
      }
      for (const error of copy.querySelectorAll(".field-error")) error.remove();
      const legend = copy.querySelector("legend");
      legend.textContent = legend.textContent.replace(/\d+/, String(next + 1));
      rows.appendChild(copy);
      watchFever(copy);
      copy.querySelector("[data-temperature]").focus();
    });
  }

  const load = () => { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch { return []; } };
  const save = (queue) => localStorage.setItem(QUEUE, JSON.stringify(queue));
  let refused = 0;
  let signedOut = false;
  const show = () => {
    const queued = load().length;
    const lines = [];
    if (queued) lines.push(status.dataset.queued.replace("{n}", queued));
    if (refused) lines.push(status.dataset.refused.replace("{n}", refused));
    if (signedOut && queued) lines.push(status.dataset.login);
    status.textContent = lines.join(" ");
    status.hidden = lines.length === 0;
  };
  // A kept submission is sent with this page's session token (the session may have been renewed).
  const send = (item) => {
    const body = new URLSearchParams(item.body);
    body.set("_csrf", form.elements._csrf.value);
    return fetch(item.action, { method: "POST", body, credentials: "same-origin", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  };
  let flushing = false;
  const flush = async () => {
    if (flushing) return;
    flushing = true;
    try {
      let queue = load();
      while (queue.length) {
        let answer;
        try { answer = await send(queue[0]); } catch { break; }
        if (answer.status >= 500) break;
        if (answer.redirected && new URL(answer.url).pathname === "/login") { signedOut = true; break; }
        if (!answer.ok) refused += 1;
        queue = load().slice(1);
        save(queue);
      }
    } finally {
      flushing = false;
      show();
    }
  };

  form.addEventListener("submit", async (event) => {
    if (event.defaultPrevented) return;
    event.preventDefault();
    // The moment of the screening, in Beijing time, goes with it: a kept submission may be sent
    // an hour later.
    const body = new URLSearchParams(new FormData(form));
    if (!body.get("screened_at")) body.set("screened_at", beijingNow());
    const item = { action: form.action, body: body.toString() };
    let answer;
    try {
      answer = await send(item);
    } catch {
      // No network: keep it, and ready the form for the next vehicle (same origin, a new key).
      save(load().concat([item]));
      form.elements.idempotency_key.value = randomKey();
      for (const row of rows.querySelectorAll(".occupant")) {
        for (const input of row.querySelectorAll("input")) {
          if (input.type === "checkbox") input.checked = false; else input.value = "";
        }
      }
      if (form.elements.plate) form.elements.plate.value = "";
      show();
      (form.elements.plate || rows.querySelector("[data-temperature]")).focus();
      return;
    }
    if (answer.redirected) {
      location.assign(answer.url);
    } else {
      // The server refused it (nothing was written): let the browser post it again and show the
      // form with the server's messages at the fields (the same key records nothing twice).
      form.submit();
    }
  });
  window.addEventListener("online", flush);
  setInterval(flush, 30000);
  show();
  flush();
});
