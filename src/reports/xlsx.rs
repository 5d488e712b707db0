//! The daily report as `.xlsx`: one sheet, Chinese headers, a row per indicator, the unit's own
//! value then one column per child unit; counts are numbers, the rate is text as shown on the page.

use super::daily::DailyReport;
use crate::format::neutralise;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub fn daily(report: &DailyReport) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("日报")?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, neutralise(&format!("{} 疫情防控日报 {}", report.org_name, report.date)), &bold)?;
    let mut headers = vec!["类别".to_string(), "指标".to_string(), format!("{}(合计)", report.org_name)];
    headers.extend(report.units.iter().map(|u| u.name.clone()));
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, neutralise(h), &bold)?;
        ws.set_column_width(c as u16, if c == 1 { 24 } else { 14 })?;
    }
    let mut row = 3u32;
    for section in &report.sections {
        for figure in &section.figures {
            ws.write_string(row, 0, &section.title)?;
            ws.write_string(row, 1, &figure.label)?;
            for (c, value) in std::iter::once(figure.value).chain(figure.by_unit.iter().copied()).enumerate() {
                let col = c as u16 + 2;
                if figure.kind == "count" {
                    ws.write_number(row, col, value as f64)?;
                } else {
                    ws.write_string(row, col, figure.show(value))?;
                }
            }
            row += 1;
        }
    }
    for beds in &report.beds {
        ws.write_string(row, 0, "定点医院床位(全市)")?;
        ws.write_string(row, 1, format!("{}空床", beds.label))?;
        ws.write_number(row, 2, beds.free as f64)?;
        row += 1;
    }
    book.save_to_buffer()
}
