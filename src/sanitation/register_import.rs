//! Importing a district's sanitation register from the sheet it already keeps (`.xlsx`, or `.csv`
//! in UTF-8 or GBK), with the ledger import's machinery: the file read by `ledger_io::read`, the
//! headers recognised as people write them (`工号`, `岗位/工种`, `所属街道`…, folded as the ledger's
//! are), every row checked as the form checks a worker, a report per row, all or nothing unless
//! the valid rows are asked for, and a second import of the same file adding nothing (a worker with
//! the same 工号 in the district, or with no 工号 and the same name, role and unit, is on the
//! register already).

use super::editions::StoredEdition;
use super::workforce::{self, NewWorker, ValidWorker};
use crate::audit::Actor;
use crate::db::{Db, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::ledger_io::headers::normalise;
use crate::ledger_io::import::{Mode, RowError};
use crate::ledger_io::read::Rows;
use crate::on_db;
use crate::org::names::Names;
use fangkong_rules::sanitation::WorkerRole;
use fangkong_rules::{OrgCode, Scope};
use std::collections::HashSet;
use time::Date;

/// A column the register can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Number,
    Role,
    Team,
    Street,
    Started,
}

/// Each column with the headers that mean it, the canonical one first.
const HEADERS: &[(Column, &[&str])] = &[
    (Column::Name, &["姓名", "名字"]),
    (Column::Number, &["工号", "编号", "员工编号", "职工编号"]),
    (Column::Role, &["岗位", "工种", "作业类别", "岗位类别", "人员类别"]),
    (Column::Team, &["班组", "作业班组", "班组名称", "所在班组"]),
    (Column::Street, &["街道", "所属街道", "作业街道", "所在街道", "作业区域"]),
    (Column::Started, &["上岗日期", "入职日期", "上岗时间"]),
];

fn recognise(header: &str) -> Option<Column> {
    let h = normalise(header);
    HEADERS.iter().find(|(_, names)| names.iter().any(|n| normalise(n) == h)).map(|(c, _)| *c)
}

fn canonical(column: Column) -> &'static str {
    HEADERS.iter().find(|(c, _)| *c == column).map_or("", |(_, names)| names[0])
}

/// A role as a register writes it: its code, its words, or the words of the work.
pub fn role_of(text: &str) -> Option<WorkerRole> {
    let text = text.trim();
    WorkerRole::parse(text).or_else(|| WorkerRole::ALL.into_iter().find(|r| r.zh() == text)).or_else(|| {
        if text.contains("口罩") {
            Some(WorkerRole::WasteMaskCollector)
        } else if ["收运", "清运", "垃圾站", "转运", "管护"].iter().any(|w| text.contains(w)) {
            Some(WorkerRole::Collection)
        } else if ["清扫", "保洁", "环卫工"].iter().any(|w| text.contains(w)) {
            Some(WorkerRole::Cleaner)
        } else {
            None
        }
    })
}

/// `text` with each character the text rule refuses written as `<U+202E>`, so that a report
/// naming a row shows it as it is instead of turning the line around.
fn visible(text: &str) -> String {
    text.chars().map(|c| if fangkong_rules::forbidden_char(c.encode_utf8(&mut [0; 4])).is_some() { format!("<U+{:04X}>", c as u32) } else { c.to_string() }).collect()
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct RegisterReport {
    pub rows: usize,
    pub valid_rows: usize,
    /// Whether the valid rows were written.
    pub landed: bool,
    pub added: usize,
    /// Rows naming a worker the register has already.
    pub already_on_register: usize,
    /// `[header as written, column it was read as]`.
    #[schema(value_type = Vec<Vec<String>>)]
    pub recognised: Vec<(String, String)>,
    pub ignored: Vec<String>,
    pub errors: Vec<RowError>,
}

/// A sheet to import into `district` (a district of the scheme, or a street of it: the rows'
/// 街道 are found within it).
pub struct RegisterSheet<'a> {
    pub district: &'a OrgCode,
    pub rows: &'a Rows,
    pub mode: Mode,
    pub today: Date,
}

/// Who is on the district's register already: 工号s, and name + role + unit of those without one.
async fn on_register(db: &Db, district: &str) -> sqlx::Result<(HashSet<String>, HashSet<(String, String, String)>)> {
    let rows: Vec<(Option<String>, String, String, String)> = on_db!(db, pool => sqlx::query_as::<DB, (Option<String>, String, String, String)>(
        "select number, name, role, org_code from sanitation_workers where district_code = $1")
        .bind(district).fetch_all(pool).await)?;
    let mut numbers = HashSet::new();
    let mut unnumbered = HashSet::new();
    for (number, name, role, org) in rows {
        match number {
            Some(n) => {
                numbers.insert(n);
            }
            None => {
                unnumbered.insert((name, role, org));
            }
        }
    }
    Ok((numbers, unnumbered))
}

/// Checks every row and, as the mode allows, writes the valid ones in one transaction.
pub async fn import(db: &Db, actor: &Actor, scope: &Scope, edition: &StoredEdition, names: &Names, sheet: RegisterSheet<'_>) -> AppResult<RegisterReport> {
    let RegisterSheet { district, rows, mode, today } = sheet;
    if !scope.allows(district.as_str()) || !names.contains_key(district.as_str()) {
        return Err(AppError::invalid("org_code", "org_unknown", "单位不存在或不在您的管辖范围内"));
    }
    let district_code = workforce::district_in_scheme(edition, district, "org_code")?;
    let Some((header, body)) = rows.split_first() else {
        return Err(AppError::invalid("file", "empty", "文件是空的"));
    };
    if let Some(c) = header.iter().find_map(|h| fangkong_rules::forbidden_char(h)) {
        return Err(AppError::invalid("file", "control_character", fangkong_rules::refusal(c)));
    }
    let columns: Vec<Option<Column>> = header.iter().map(|h| recognise(h)).collect();
    let mut report = RegisterReport { rows: body.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).count(), ..Default::default() };
    for (h, c) in header.iter().zip(&columns) {
        match c {
            Some(c) => report.recognised.push((h.clone(), canonical(*c).to_string())),
            None if !h.trim().is_empty() => report.ignored.push(h.clone()),
            None => {}
        }
    }
    for needed in [Column::Name, Column::Role] {
        if !columns.contains(&Some(needed)) {
            return Err(AppError::invalid("file", "columns_missing", format!("文件中没有“{}”列,请检查表头", canonical(needed))));
        }
    }
    let (numbers, mut unnumbered) = on_register(db, &district_code).await?;
    let mut in_file: HashSet<String> = HashSet::new();
    let within = Scope::of(district);
    let mut planned: Vec<ValidWorker> = Vec::new();
    for (i, row) in body.iter().enumerate() {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = i + 2;
        let cell = |column: Column| columns.iter().position(|c| *c == Some(column)).and_then(|at| row.get(at)).map(|v| v.trim()).unwrap_or("");
        // Shown back in the report: a refused character written out rather than acted on.
        let name = visible(cell(Column::Name));
        let refuse = |report: &mut RegisterReport, column: Column, code: &str, message: String| {
            report.errors.push(RowError { row: line, name: name.clone(), column: canonical(column).to_string(), code: code.to_string(), message });
        };
        if let Some((column, c)) =
            [Column::Name, Column::Number, Column::Role, Column::Team, Column::Street, Column::Started].into_iter().find_map(|column| Some((column, fangkong_rules::forbidden_char(cell(column))?)))
        {
            refuse(&mut report, column, "control_character", fangkong_rules::refusal(c));
            continue;
        }
        let Some(role) = role_of(cell(Column::Role)) else {
            refuse(&mut report, Column::Role, "role_unknown", "岗位应为 清扫保洁、垃圾收运和垃圾站管护 或 废弃口罩收运".into());
            continue;
        };
        let org_code = match cell(Column::Street) {
            "" => district.clone(),
            street => match crate::org::picker::chosen(names, &within, "street", street) {
                Ok(code) => code,
                Err(_) => {
                    refuse(&mut report, Column::Street, "org_unknown", format!("{}内没有名为“{street}”的街道", names.get(district.as_str()).map_or("本区", String::as_str)));
                    continue;
                }
            },
        };
        let started_on = match cell(Column::Started) {
            "" => today,
            text => match crate::clock::parse_date(text) {
                Some(d) if d <= today => d,
                Some(_) => {
                    refuse(&mut report, Column::Started, "date_future", "上岗日期不能晚于今天".into());
                    continue;
                }
                None => {
                    refuse(&mut report, Column::Started, "date_invalid", format!("“{text}”不是有效日期,请写成 2020-01-15"));
                    continue;
                }
            },
        };
        let number = Some(cell(Column::Number).to_string()).filter(|n| !n.is_empty());
        let team = Some(cell(Column::Team).to_string()).filter(|t| !t.is_empty());
        let new = NewWorker { org_code, name: name.clone(), number: number.clone(), role, team, person_id: None, started_on };
        let valid = match workforce::checked(scope, edition, &new) {
            Ok(valid) => valid,
            Err(AppError::Invalid(errors)) => {
                let column = match errors[0].field.as_str() {
                    "name" => Column::Name,
                    "team" => Column::Team,
                    _ => Column::Number,
                };
                refuse(&mut report, column, &errors[0].code, errors[0].message.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        if valid.number.as_ref().is_some_and(|n| !in_file.insert(n.clone())) {
            refuse(&mut report, Column::Number, "duplicate_in_file", "与文件中前面一行的工号相同".into());
            continue;
        }
        report.valid_rows += 1;
        let known = match &valid.number {
            Some(n) => numbers.contains(n),
            None => !unnumbered.insert((valid.name.clone(), valid.role.as_str().to_string(), valid.org_code.clone())),
        };
        if known {
            report.already_on_register += 1;
        } else {
            planned.push(valid);
        }
    }
    if mode == Mode::AllOrNothing && !report.errors.is_empty() {
        return Ok(report);
    }
    let written: sqlx::Result<usize> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let ids = workforce::insert_many(&mut *tx, actor, &planned).await?;
        tx.commit().await?;
        Ok(ids.len())
    }.await);
    report.added = match written {
        Ok(n) => n,
        // A worker with one of these numbers was added meanwhile: nothing of this file was written.
        Err(e) if is_unique_violation(&e) => return Err(AppError::Conflict { message: "导入期间名册有变动(工号已被占用),请重新导入".into(), existing_id: None }),
        Err(e) => return Err(e.into()),
    };
    report.landed = true;
    Ok(report)
}
