//! Exporting an area's ledger to `.xlsx`: Chinese headers, masked personal values, audited.

use crate::audit::{Actor, AuditEvent};
use crate::db::Db;
use crate::on_db;
use crate::screening::{Category, Transport};
use fangkong_rules::mask::{mask_id_number, mask_name, mask_phone};
use fangkong_rules::{OrgCode, Scope};
use time::Date;

#[derive(sqlx::FromRow)]
struct Line {
    name: String,
    sex: Option<String>,
    id_number: String,
    phone: Option<String>,
    org_code: String,
    category: String,
    origin_place: Option<String>,
    origin_code: Option<String>,
    arrival_date: Option<Date>,
    transport: Option<String>,
    transport_no: Option<String>,
    start_date: Option<Date>,
    status: Option<String>,
    note: Option<String>,
}

pub const HEADERS: [&str; 13] = ["序号", "姓名", "性别", "证件号码", "联系电话", "所属单位代码", "人员类别", "来源地", "返回日期", "交通方式", "车次/航班号/车牌号", "医学观察", "备注"];

/// The ledger of `unit` (which must lie in the caller's scope) as an `.xlsx` file, and its row count.
pub async fn ledger(db: &Db, actor: &Actor, caller_scope: &Scope, unit: &OrgCode) -> anyhow::Result<Option<(Vec<u8>, usize)>> {
    if !caller_scope.allows(unit.as_str()) {
        return Ok(None);
    }
    let scope = Scope::of(unit);
    let (low, high) = scope.bounds();
    let lines: Vec<Line> = on_db!(db, pool => sqlx::query_as::<DB, Line>(
        "select p.name, p.sex, p.id_number, p.phone, k.org_code, k.category, k.origin_place, k.origin_code, k.arrival_date, k.transport, \
         k.transport_no, e.start_date, e.status, k.note from key_persons k join persons p on p.id = k.person_id \
         left join observation_episodes e on e.person_id = k.person_id and e.status = 'active' \
         where k.org_code >= $1 and k.org_code < $2 order by k.org_code, k.id")
        .bind(low).bind(high).fetch_all(pool).await)?;
    let rows: Vec<Vec<String>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                (i + 1).to_string(),
                mask_name(&l.name),
                match l.sex.as_deref() {
                    Some("male") => "男",
                    Some("female") => "女",
                    _ => "",
                }
                .to_string(),
                mask_id_number(&l.id_number),
                l.phone.as_deref().map(mask_phone).unwrap_or_default(),
                l.org_code.clone(),
                Category::parse(&l.category).map(Category::zh).unwrap_or("").to_string(),
                l.origin_place.clone().or(l.origin_code.clone()).unwrap_or_default(),
                l.arrival_date.map(|d| d.to_string()).unwrap_or_default(),
                l.transport.as_deref().and_then(Transport::parse).map(Transport::zh).unwrap_or("").to_string(),
                l.transport_no.clone().unwrap_or_default(),
                match (&l.status, l.start_date) {
                    (Some(_), Some(s)) => format!("观察中,{s} 起"),
                    _ => String::new(),
                },
                l.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = super::xlsx::sheet(&HEADERS, &rows)?;
    let event = AuditEvent { action: "ledger.export", record_type: "org_unit", record_id: Some(unit.to_string()), org_code: unit.to_string(), detail: Some(format!("rows={}", rows.len())) };
    crate::audit::store::record(db, actor, event).await?;
    Ok(Some((bytes, rows.len())))
}
