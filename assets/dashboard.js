// The dashboard's charts (Apache ECharts, served from this server) and its live refresh. The page's
// figures and unit table work without it; the charts read the same data the page was rendered from,
// and every minute (or on 刷新) the page fetches /api/v1/dashboard and updates figures, table and
// charts in place, so a wall screen stays current. A failed fetch keeps what is shown and says so.
const REFRESH_MS = 60 * 1000;

// Series and axis names come from the page, in its language (`data-series`, `data-axes`: "a|b|c").
const labels = (id, key) => (document.getElementById(id)?.dataset[key] || "").split("|");

const options = (data) => {
  const days = data.trend.days.map((d) => d.slice(5));
  const [confirmed, suspected, observing] = labels("chart-cases", "series");
  const [casesAxis, observingAxis] = labels("chart-cases", "axes");
  const [taken, free] = labels("chart-beds", "series");
  return {
    "chart-cases": {
      legend: { top: 0 },
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", name: casesAxis, minInterval: 1 }, { type: "value", name: observingAxis, minInterval: 1 }],
      series: [
        { name: confirmed, type: "bar", data: data.trend.new_confirmed, itemStyle: { color: "#c0392b" } },
        { name: suspected, type: "bar", data: data.trend.new_suspected, itemStyle: { color: "#e67e22" } },
        { name: observing, type: "line", yAxisIndex: 1, data: data.trend.observing, showSymbol: false, itemStyle: { color: "#2471a3" } },
      ],
    },
    "chart-rate": {
      xAxis: { type: "category", data: days },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: labels("chart-rate", "series")[0], type: "line", data: data.trend.report_rate, connectNulls: false, itemStyle: { color: "#1e8449" } }],
    },
    "chart-units": {
      tooltip: { trigger: "item" },
      xAxis: { type: "category", data: data.units.map((u) => u.name), axisLabel: { interval: 0, rotate: data.units.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: labels("chart-units", "series")[0], type: "bar", data: data.units.map((u) => u.values[0]), itemStyle: { color: "#2471a3" }, cursor: "pointer" }],
    },
    "chart-sanitation": data.sanitation && {
      tooltip: { trigger: "item" },
      xAxis: { type: "category", data: data.sanitation.districts.map((d) => d.name) },
      yAxis: { type: "value", min: 0, max: Math.max(...data.sanitation.districts.map((d) => d.base_score), 1) },
      series: [{ name: labels("chart-sanitation", "series")[0], type: "bar", data: data.sanitation.districts.map((d) => d.score), itemStyle: { color: "#1e8449" }, cursor: "pointer", label: { show: true, position: "top" } }],
    },
    "chart-beds": {
      legend: { top: 0 },
      xAxis: { type: "category", data: data.beds.map((b) => b.label) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: taken, type: "bar", stack: "beds", data: data.beds.map((b) => b.taken), itemStyle: { color: "#c0392b" } },
        { name: free, type: "bar", stack: "beds", data: data.beds.map((b) => Math.max(b.total - b.taken, 0)), itemStyle: { color: "#27ae60" } },
      ],
    },
  };
};

// The figures, alert counts, unit table and bed line of the page, set from fresh data.
const fill = (root, data) => {
  const set = (selector, text, alarm) => {
    const el = root.querySelector(selector);
    if (!el) return;
    const strong = el.querySelector("strong") || el;
    strong.textContent = text;
    if (alarm !== undefined) el.classList.toggle("alarm", alarm);
  };
  data.key.forEach((f) => set(`#key-figures [data-figure="${f.code}"]`, f.shown));
  set('#key-figures [data-figure="overdue_clocks"]', String(data.overdue_clocks), data.overdue_clocks > 0);
  data.alerts.forEach((a) => set(`#open-alerts [data-figure="${a.code}"]`, a.shown, a.value > 0));
  data.units.forEach((u) => {
    const cells = root.querySelectorAll(`#dashboard-units tr[data-unit="${u.org_code}"] td.num`);
    cells.forEach((cell, i) => { cell.textContent = u.shown[i]; });
  });
  // Beds read "free / total" everywhere (the beds page too).
  if (data.sanitation) {
    set('[data-figure="sanitation_today_inspections"]', String(data.sanitation.today_inspections));
    set('[data-figure="sanitation_today_points"]', String(data.sanitation.today_points));
    data.sanitation.districts.forEach((d) => {
      const cells = root.querySelectorAll(`#sanitation-ranking tr[data-district="${d.org_code}"] td.num`);
      const rate = d.compliance_permille === null ? "—" : `${Math.floor(d.compliance_permille / 10)}.${d.compliance_permille % 10}%`;
      [d.rank, d.score, d.deductions, d.inspections, rate].forEach((v, i) => { if (cells[i]) cells[i].textContent = String(v); });
    });
  }
  if (data.checkpoints) {
    data.checkpoints.figures.forEach((f) => set(`#dashboard-checkpoints [data-figure="${f.code}"]`, f.shown));
    data.checkpoints.units.forEach((u) => {
      const cells = root.querySelectorAll(`#checkpoint-units tr[data-unit="${u.org_code}"] td.num`);
      cells.forEach((cell, i) => { cell.textContent = u.shown[i]; });
    });
  }
  data.beds.forEach((b) => {
    set(`.bed[data-kind="${b.kind}"] .bed-free`, String(b.free));
    set(`.bed[data-kind="${b.kind}"] .bed-total`, String(b.total));
  });
};

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("dashboard");
  const source = document.getElementById("dashboard-data");
  if (!root || !source) return;
  let data = JSON.parse(source.textContent);
  const charts = {};
  if (window.echarts) {
    for (const [id, option] of Object.entries(options(data))) {
      const el = document.getElementById(id);
      if (!el || !option) continue;
      const c = echarts.init(el, null, { renderer: "canvas" });
      c.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" }, grid: { left: 48, right: 48, top: 32, bottom: 32 } }, option));
      charts[id] = c;
    }
    if (charts["chart-sanitation"]) {
      charts["chart-sanitation"].on("click", (p) => { location.href = "/dashboard?org=" + encodeURIComponent(data.sanitation.districts[p.dataIndex].org_code); });
    }
    if (charts["chart-units"]) {
      charts["chart-units"].on("click", (p) => { location.href = "/dashboard?org=" + encodeURIComponent(data.units[p.dataIndex].org_code); });
    }
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  }

  const status = document.getElementById("dashboard-updated");
  const button = document.getElementById("dashboard-refresh");
  const clock = () => new Date().toTimeString().slice(0, 8);
  const refresh = async () => {
    try {
      const response = await fetch("/api/v1/dashboard?org=" + encodeURIComponent(root.dataset.org), { credentials: "same-origin", headers: { accept: "application/json" } });
      // Signed out meanwhile (the session expired): reloading leads to the sign-in page.
      if (response.status === 401) return location.reload();
      if (!response.ok) throw new Error(String(response.status));
      const fresh = await response.json();
      // A new day, units added below or the districts' ranking changed: the page's own layout is out of date.
      const ranking = (d) => JSON.stringify(d.sanitation ? d.sanitation.districts.map((s) => s.org_code) : null);
      if (fresh.date !== data.date || fresh.units.length !== data.units.length || ranking(fresh) !== ranking(data)) return location.reload();
      data = fresh;
      fill(root, data);
      for (const [id, option] of Object.entries(options(data))) if (option) charts[id]?.setOption(option);
      status.textContent = `${status.dataset.ok} ${clock()}`;
      status.classList.remove("alarm");
    } catch (e) {
      status.textContent = status.dataset.failed;
      status.classList.add("alarm");
    }
  };
  status.textContent = `${status.dataset.ok} ${clock()}`;
  button.hidden = false;
  button.addEventListener("click", refresh);
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
});
