// The dashboard's charts (Apache ECharts, served from this server). The page's figures and unit
// table work without it; the charts read the same data the page was rendered from.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const charts = [];
  const chart = (id, option) => {
    const el = document.getElementById(id);
    if (!el) return null;
    const c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" }, grid: { left: 48, right: 48, top: 32, bottom: 32 } }, option));
    charts.push(c);
    return c;
  };
  const days = data.trend.days.map((d) => d.slice(5));
  chart("chart-cases", {
    legend: { top: 0 },
    xAxis: { type: "category", data: days },
    yAxis: [{ type: "value", name: "病例", minInterval: 1 }, { type: "value", name: "在观察", minInterval: 1 }],
    series: [
      { name: "新增确诊", type: "bar", data: data.trend.new_confirmed, itemStyle: { color: "#c0392b" } },
      { name: "新增疑似", type: "bar", data: data.trend.new_suspected, itemStyle: { color: "#e67e22" } },
      { name: "在观察人数", type: "line", yAxisIndex: 1, data: data.trend.observing, showSymbol: false, itemStyle: { color: "#2471a3" } },
    ],
  });
  chart("chart-rate", {
    xAxis: { type: "category", data: days },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{ name: "上报率", type: "line", data: data.trend.report_rate, connectNulls: false, itemStyle: { color: "#1e8449" } }],
  });
  const units = chart("chart-units", {
    tooltip: { trigger: "item" },
    xAxis: { type: "category", data: data.units.map((u) => u.name), axisLabel: { interval: 0, rotate: data.units.length > 8 ? 40 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: data.unit_columns[0], type: "bar", data: data.units.map((u) => u.values[0]), itemStyle: { color: "#2471a3" }, cursor: "pointer" }],
  });
  if (units) {
    units.on("click", (p) => { location.href = "/dashboard?org=" + encodeURIComponent(data.units[p.dataIndex].org_code); });
  }
  chart("chart-beds", {
    legend: { top: 0 },
    xAxis: { type: "category", data: data.beds.map((b) => b.label) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "已占用", type: "bar", stack: "beds", data: data.beds.map((b) => b.taken), itemStyle: { color: "#c0392b" } },
      { name: "空床", type: "bar", stack: "beds", data: data.beds.map((b) => Math.max(b.total - b.taken, 0)), itemStyle: { color: "#27ae60" } },
    ],
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
