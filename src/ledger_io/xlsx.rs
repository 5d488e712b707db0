//! Writing `.xlsx`: the import report, the template and exports. Text that a spreadsheet could run as
//! a formula is neutralised ([`crate::format::neutralise`]).

use super::headers::{Field, canonical};
use super::import::Report;
use crate::format::neutralise;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A sheet of text cells with a bold header row; every cell is written as text, neutralised.
pub fn sheet(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, 16)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, neutralise(value))?;
        }
    }
    book.save_to_buffer()
}

pub fn report(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let rows: Vec<Vec<String>> = report.errors.iter().map(|e| vec![e.row.to_string(), e.name.clone(), e.column.clone(), e.message.clone()]).collect();
    sheet(&["行号", "姓名", "列", "问题"], &rows)
}

/// The fields of the template, in the order a grid worker fills them in.
pub const TEMPLATE_FIELDS: [Field; 18] = [
    Field::Name,
    Field::Sex,
    Field::IdNumber,
    Field::Phone,
    Field::Address,
    Field::Hukou,
    Field::Origin,
    Field::DepartureDate,
    Field::ArrivalDate,
    Field::Transport,
    Field::TransportNo,
    Field::Category,
    Field::Companions,
    Field::Symptoms,
    Field::ObservationStart,
    Field::Grid,
    Field::GridWorker,
    Field::Note,
];

pub fn template() -> Result<Vec<u8>, XlsxError> {
    let headers: Vec<&str> = TEMPLATE_FIELDS.iter().map(|f| canonical(*f)).collect();
    let example = [
        "张三",
        "男",
        "43048119900101123X",
        "13800001111",
        "蔡子池街道金南社区南城一品3栋501",
        "430481",
        "武汉市",
        "2020-01-20",
        "2020-01-21",
        "火车",
        "G1001",
        "武汉返乡人员",
        "无",
        "无",
        "2020-01-21",
        "第一网格",
        "李网格",
        "示例行,导入前请删除",
    ];
    sheet(&headers, &[example.iter().map(|s| s.to_string()).collect()])
}
