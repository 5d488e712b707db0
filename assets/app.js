// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Come back to the same page after switching language.
  for (const a of document.querySelectorAll("a[data-lang]")) {
    a.href = a.getAttribute("href") + "?back=" + encodeURIComponent(location.pathname + location.search);
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // Chinese input methods type full-width digits and letters; fold them as the server would.
  for (const input of document.querySelectorAll('input[name="id_number"], input[name="phone"], input[name="org_code"]')) {
    input.addEventListener("blur", () => {
      input.value = input.value.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0)).trim();
    });
  }
});
