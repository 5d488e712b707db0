//! Reading a sheet into rows of text: `.xlsx` through calamine, `.csv` in UTF-8 (with or without BOM)
//! or GBK/GB18030. Numbers that Excel stored for an ID column keep the form Excel shows
//! (`4.30481199001011E17`), so the registry's rules can say the number was mangled.

use calamine::{Data, Reader};
use std::io::Cursor;

/// The first row is the header row.
pub type Rows = Vec<Vec<String>>;

pub fn read(bytes: &[u8]) -> Result<Rows, String> {
    if bytes.starts_with(b"PK\x03\x04") { read_xlsx(bytes) } else { read_csv(bytes) }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Above 15 digits a float has lost digits: show it as Excel does, never as a made-up integer.
        Data::Float(f) if f.abs() >= 1e15 => excel_scientific(*f),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A large number as Excel displays it: 15 significant digits in scientific form (`4.30481199001011E17`).
fn excel_scientific(f: f64) -> String {
    let s = format!("{f:.14E}");
    let (mantissa, exponent) = s.split_once('E').unwrap_or((&s, "0"));
    format!("{}E{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'))
}

/// An Excel serial date (1900 system) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let base = time::macros::date!(1899 - 12 - 30);
    (base + time::Duration::days(serial.floor() as i64)).to_string()
}

fn read_xlsx(bytes: &[u8]) -> Result<Rows, String> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| format!("无法读取 Excel 文件:{e}"))?;
    let range = book.worksheet_range_at(0).ok_or("Excel 文件中没有工作表")?.map_err(|e| format!("无法读取工作表:{e}"))?;
    Ok(range.rows().map(|r| r.iter().map(cell_text).collect()).collect())
}

/// UTF-8 (a BOM is dropped), else GB18030, which covers GBK files saved by Chinese Excel.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Rows, String> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("CSV 格式错误:{e}"))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_and_bom_csv_files_decode_to_the_same_text() {
        let text = "姓名,身份证号\n张三,43048119900101123X\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        for bytes in [gbk.to_vec(), bom, text.as_bytes().to_vec()] {
            assert_eq!(read(&bytes).unwrap(), [["姓名", "身份证号"], ["张三", "43048119900101123X"]]);
        }
    }

    #[test]
    fn a_long_number_stays_in_excels_scientific_form() {
        assert_eq!(cell_text(&Data::Float(430481199001011231.0)), "4.30481199001011E17");
        assert_eq!(cell_text(&Data::Float(13800001111.0)), "13800001111");
        assert_eq!(excel_date(43852.0), "2020-01-22");
    }
}
