//! The check-in history as a small server-rendered SVG line chart: no script, readable on any phone.

use super::checkins::CheckIn;
use std::fmt::Write;

const WIDTH: i64 = 600;
const HEIGHT: i64 = 180;
const LOW: i64 = 355;
const HIGH: i64 = 405;

fn y(tenths: i64) -> i64 {
    let t = tenths.clamp(LOW, HIGH);
    HEIGHT - 20 - (t - LOW) * (HEIGHT - 40) / (HIGH - LOW)
}

/// Temperatures in order, with the fever threshold as a dashed red line; fevers are red dots.
/// `title` names the chart for screen readers, in the reader's language.
pub fn temperature_svg(check_ins: &[CheckIn], threshold_tenths: i64, title: &str) -> String {
    let mut svg = format!(r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg">"#);
    let threshold_y = y(threshold_tenths);
    let _ = write!(svg, r##"<line x1="30" x2="{WIDTH}" y1="{threshold_y}" y2="{threshold_y}" stroke="#c62828" stroke-dasharray="6 4"/>"##);
    let _ = write!(svg, r##"<text x="0" y="{}" font-size="12" fill="#c62828">{}.{}</text>"##, threshold_y + 4, threshold_tenths / 10, threshold_tenths % 10);
    let step = if check_ins.len() > 1 { (WIDTH - 50) / (check_ins.len() as i64 - 1) } else { 0 };
    let points: Vec<(i64, i64, bool)> = check_ins.iter().enumerate().map(|(i, c)| (40 + i as i64 * step, y(c.temperature_tenths), c.temperature_tenths >= threshold_tenths)).collect();
    let line: Vec<String> = points.iter().map(|(x, y, _)| format!("{x},{y}")).collect();
    let _ = write!(svg, r##"<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{}"/>"##, line.join(" "));
    for (x, y, fever) in points {
        let colour = if fever { "#c62828" } else { "#1565c0" };
        let _ = write!(svg, r#"<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/>"#);
    }
    svg.push_str("</svg>");
    svg
}
