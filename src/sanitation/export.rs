//! A month's district scores as `.xlsx`: a title naming the month and whether it is closed, then a
//! row per district in rank order under Chinese headers; figures are numbers, the rate and the
//! change since last month text as the page shows them.

use super::months::MonthScores;
use crate::format::neutralise;
use fangkong_rules::sanitation::{PpeItem, WorkerRole};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

const HEADERS: [&str; 16] =
    ["排名", "城区", "检查人次", "检查人数", "检查项数", "缺项数", "合格率", "扣分", "申诉恢复", "复查不计分", "实际扣分", "基础分", "考核得分", "较上月", "最常缺少的防护用品", "缺项最多的岗位"];

/// The words of a permille rate, `96.5%`; a dash when nothing was checked.
pub fn rate(permille: Option<i64>) -> String {
    permille.map_or_else(|| "—".into(), |p| format!("{}.{}%", p / 10, p % 10))
}

/// The change since last month, signed; a dash when there was no last month.
pub fn trend(change: Option<i64>) -> String {
    change.map_or_else(|| "—".into(), |c| format!("{c:+}"))
}

pub fn month(scores: &MonthScores, name_of: impl Fn(&str) -> String) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("月度考核")?;
    let bold = Format::new().set_bold();
    let state = if scores.closed.is_some() { "已结账" } else { "未结账,数据仍可能变化" };
    ws.write_string_with_format(0, 0, format!("{} 城区环卫作业人员防护月度考核({state})", scores.month), &bold)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, if c >= 14 { 20 } else { 11 })?;
    }
    for (r, d) in scores.districts.iter().enumerate() {
        let row = r as u32 + 3;
        ws.write_number(row, 0, d.rank as f64)?;
        ws.write_string(row, 1, neutralise(&name_of(&d.district_code)))?;
        for (c, n) in [d.inspections, d.workers, d.items_checked, d.items_missing].into_iter().enumerate() {
            ws.write_number(row, c as u16 + 2, n as f64)?;
        }
        ws.write_string(row, 6, rate(d.compliance_permille))?;
        for (c, n) in [d.points, d.restored, d.uncounted, d.deductions, d.base_score, d.score].into_iter().enumerate() {
            ws.write_number(row, c as u16 + 7, n as f64)?;
        }
        ws.write_string(row, 13, trend(d.trend))?;
        ws.write_string(row, 14, d.most_missed_item.as_deref().and_then(PpeItem::parse).map_or("—", |i| i.zh()))?;
        ws.write_string(row, 15, d.most_missed_role.as_deref().and_then(WorkerRole::parse).map_or("—", |r| r.zh()))?;
    }
    book.save_to_buffer()
}
