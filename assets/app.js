// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Come back to the same page after switching language.
  for (const a of document.querySelectorAll("a[data-lang]")) {
    a.href = a.getAttribute("href") + "?back=" + encodeURIComponent(location.pathname + location.search);
  }
  // On a phone a list's header row is hidden and each row reads as a card of "label: value" lines:
  // every cell carries its column's header (the stylesheet shows it before the value). Tables whose
  // rows are filled in later (the dashboard's) are labelled again when they change.
  const labelCells = (table) => {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      Array.from(row.children).forEach((cell, i) => {
        if (heads[i] && cell.dataset.label !== heads[i]) cell.dataset.label = heads[i];
      });
    }
  };
  for (const table of document.querySelectorAll("table.list")) {
    labelCells(table);
    new MutationObserver(() => labelCells(table)).observe(table, { childList: true, subtree: true });
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // A sheet printed long after the page was opened says when it was printed, in Beijing time.
  const beijing = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "short" });
  window.addEventListener("beforeprint", () => {
    for (const el of document.querySelectorAll("[data-print-time]")) el.textContent = beijing.format(new Date());
  });
  // The server refuses control characters and bidirectional controls in any text (a pasted name can
  // carry them invisibly); say so at the field before the form is sent.
  const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u200B\u2060\uFEFF\u2028\u2029\uFFFD]/;
  const refusal = document.documentElement.lang === "en"
    ? "Contains an invisible control or text-direction character; please delete it and type again"
    : "含有不可见的控制字符或文字方向控制符,请删除后重新输入";
  for (const input of document.querySelectorAll("input, textarea")) {
    input.addEventListener("input", () => input.setCustomValidity(forbidden.test(input.value) ? refusal : ""));
  }
  // Forms marked novalidate (so that the server's messages show) are stopped here all the same.
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", (event) => {
      const bad = Array.from(form.elements).find((el) => typeof el.value === "string" && el.type !== "file" && forbidden.test(el.value));
      if (bad) {
        event.preventDefault();
        bad.setCustomValidity(refusal);
        bad.reportValidity();
      }
    });
  }
  // An error page's way back to the form, with what was typed still in it.
  for (const back of document.querySelectorAll("[data-back]")) {
    back.hidden = false;
    back.addEventListener("click", () => history.back());
  }
  // A PPE inspection shows the points off as items are ticked: each required item not met by
  // anything ticked (a suit and a raincoat meet the same one) costs the edition's points.
  const inspection = document.getElementById("inspect-form");
  if (inspection) {
    const shown = inspection.querySelector("[data-deduction]");
    const update = () => {
      const met = new Set(Array.from(inspection.querySelectorAll('input[name="worn"]:checked')).map((box) => box.dataset.meets));
      shown.textContent = String((Number(inspection.dataset.items) - met.size) * Number(inspection.dataset.points));
    };
    inspection.addEventListener("change", update);
    update();
  }
  // Chinese input methods type full-width digits and letters; fold them as the server would.
  for (const input of document.querySelectorAll('input[name="id_number"], input[name="phone"], input[name="org_code"]')) {
    input.addEventListener("blur", () => {
      input.value = input.value.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0)).trim();
    });
  }
});
