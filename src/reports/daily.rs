//! The daily report (日报) of any unit for any date: the standard indicators of screening,
//! observation, cases, follow-ups and contacts, each with its breakdown by child unit — read from
//! the roll-up counts (`crate::counts`), so no one at the grassroots fills in a statistical form
//! and a city's report reads a few thousand count rows instead of its ledgers.
//!
//! Dated figures are "on the day" (that day's count) or "up to the day" (the sum of the days up to
//! it). Figures marked *now* (households, open life-needs requests, patients in hospital by
//! classification) are the present state whatever the date asked.

use crate::cases::{CaseStatus, Severity};
use crate::counts;
use crate::db::Db;
use crate::observation::AlertKind;
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, Duration};

/// A unit of the breakdown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitRef {
    pub org_code: String,
    pub name: String,
}

/// One indicator: its value for the unit and for each child unit (in the order of `units`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub code: String,
    /// The indicator's name in Chinese (and, in `label_en`, in English).
    pub label: String,
    pub label_en: String,
    pub value: i64,
    pub by_unit: Vec<i64>,
    /// `count`, or `permille` for a rate (953 = 95.3 %; -1 when nothing was due).
    pub kind: &'static str,
}

impl Figure {
    /// The value as people read it: a count, or a percentage with one decimal.
    pub fn show(&self, value: i64) -> String {
        match (self.kind, value) {
            ("permille", v) if v < 0 => "—".into(),
            ("permille", v) => format!("{}.{}%", v / 10, v % 10),
            (_, v) => v.to_string(),
        }
    }
    pub fn shown(&self) -> String {
        self.show(self.value)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub title: String,
    pub title_en: String,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyReport {
    pub org_code: String,
    pub org_name: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub date: Date,
    /// The child units of the breakdown.
    pub units: Vec<UnitRef>,
    pub sections: Vec<Section>,
    /// Beds of the city's designated hospitals by kind, now (the same for every unit: patients of
    /// every county go to them).
    pub beds: Vec<Beds>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Beds {
    pub kind: String,
    pub label: String,
    pub label_en: String,
    pub total: i64,
    pub taken: i64,
    pub free: i64,
}

impl DailyReport {
    /// The report with its labels (sections, figures, beds) in the reader's language.
    pub fn in_language(mut self, lang: crate::web::i18n::Lang) -> DailyReport {
        if lang == crate::web::i18n::Lang::En {
            for section in &mut self.sections {
                section.title.clone_from(&section.title_en);
                for figure in &mut section.figures {
                    figure.label.clone_from(&figure.label_en);
                }
            }
            for beds in &mut self.beds {
                beds.label.clone_from(&beds.label_en);
            }
        }
        self
    }

    pub fn figure(&self, code: &str) -> Option<&Figure> {
        self.sections.iter().flat_map(|s| &s.figures).find(|f| f.code == code)
    }
}

/// One unit's counts as of the report's date.
#[derive(Default)]
struct Sums {
    dated: BTreeMap<String, Dated>,
    gauges: BTreeMap<String, i64>,
}

/// A dated metric's rows as of the report's date.
#[derive(Default)]
struct Dated {
    /// The total over all days, and the sum of the days after the date.
    total: i64,
    after: i64,
    /// The date's count, and the sum over the 14 days ending on it.
    on: i64,
    last_14_days: i64,
}

impl Sums {
    fn on(&self, metric: &str) -> i64 {
        self.dated.get(metric).map_or(0, |d| d.on)
    }
    fn upto(&self, metric: &str) -> i64 {
        self.dated.get(metric).map_or(0, |d| d.total - d.after)
    }
    fn before(&self, metric: &str) -> i64 {
        self.upto(metric) - self.on(metric)
    }
    fn last_14_days(&self, metric: &str) -> i64 {
        self.dated.get(metric).map_or(0, |d| d.last_14_days)
    }
    fn gauge(&self, metric: &str) -> i64 {
        self.gauges.get(metric).copied().unwrap_or(0)
    }
    /// People whose observation had started and not ended before the day: due to report on it.
    fn due_to_report(&self) -> i64 {
        self.upto(counts::OBSERVATION_STARTED) - self.before(counts::OBSERVATION_ENDED)
    }
}

type Rule = Box<dyn Fn(&Sums) -> i64 + Send + Sync>;

/// An indicator: its code and label, the counts it reads, and how it reads them from a unit's sums.
struct Indicator {
    code: String,
    label: String,
    label_en: String,
    metrics: Vec<String>,
    rule: Rule,
}

/// `label` is the indicator's name in Chinese and in English.
fn figure<M: ToString>(code: &str, label: (&str, &str), metrics: impl IntoIterator<Item = M>, rule: impl Fn(&Sums) -> i64 + Send + Sync + 'static) -> Indicator {
    Indicator { code: code.to_string(), label: label.0.to_string(), label_en: label.1.to_string(), metrics: metrics.into_iter().map(|m| m.to_string()).collect(), rule: Box::new(rule) }
}

/// An indicator that is one gauge as it stands.
fn gauge(code: &str, label: (&str, &str), metric: String) -> Indicator {
    let read = metric.clone();
    figure(code, label, [metric], move |s| s.gauge(&read))
}

/// The indicators by section.
fn indicators() -> Vec<((&'static str, &'static str), Vec<Indicator>)> {
    use counts::{CHECKIN_REPORTED as REPORTED, OBSERVATION_ENDED as ENDED, OBSERVATION_STARTED as STARTED};
    let mut cases = Vec::new();
    for status in REPORTED_STATUSES {
        let metric = counts::case_new_metric(status.as_str());
        let (on, upto) = (metric.clone(), metric.clone());
        cases.push(figure(&format!("new_{}", status.as_str()), (&format!("新增{}", status.zh()), &format!("{}, new", status.en())), [&metric], move |s| s.on(&on)));
        cases.push(figure(&format!("total_{}", status.as_str()), (&format!("累计{}", status.zh()), &format!("{}, total", status.en())), [&metric], move |s| s.upto(&upto)));
    }
    for (code, zh, en) in Severity::ALL.iter().map(|s| (s.as_str(), s.zh(), s.en())).chain([("unassessed", "未分型", "not yet classified")]) {
        cases.push(gauge(&format!("in_hospital_{code}"), (&format!("在院{zh}(当前)"), &format!("In hospital, {} (now)", en.to_lowercase())), counts::in_hospital_metric(Some(code))));
    }
    let open_alerts = open_alerts_metrics();
    let due = [STARTED, ENDED];
    let due_and_reported = [STARTED, ENDED, REPORTED];
    vec![
        (
            ("排查", "Screening"),
            vec![
                figure("key_persons_total", ("重点人员累计", "Key persons, total"), [counts::KEY_PERSONS_NEW], |s| s.upto(counts::KEY_PERSONS_NEW)),
                figure("key_persons_new", ("新增重点人员", "New key persons"), [counts::KEY_PERSONS_NEW], |s| s.on(counts::KEY_PERSONS_NEW)),
                gauge("households", ("住户数(当前)", "Households (now)"), counts::HOUSEHOLDS.into()),
                figure("households_visited", ("已走访住户", "Households visited"), [counts::HOUSEHOLDS_VISITED], |s| s.upto(counts::HOUSEHOLDS_VISITED)),
                figure("households_first_visited", ("当日首次走访住户", "Households first visited that day"), [counts::HOUSEHOLDS_VISITED], |s| s.on(counts::HOUSEHOLDS_VISITED)),
            ],
        ),
        (
            ("医学观察", "Medical observation"),
            vec![
                figure("observing", ("在观察人数", "Under observation"), due, |s| s.upto(STARTED) - s.upto(ENDED)),
                figure("observation_new", ("新增观察", "New observations"), [STARTED], |s| s.on(STARTED)),
                figure("observation_ended", ("解除观察", "Observations ended"), [ENDED], |s| s.on(ENDED)),
                figure("due_to_report", ("应报人数", "Due to report"), due, Sums::due_to_report),
                figure("reported", ("已报人数", "Reported"), [REPORTED], |s| s.on(REPORTED)),
                figure("missing", ("未报人数", "Not reported"), due_and_reported, |s| (s.due_to_report() - s.on(REPORTED)).max(0)),
                figure(REPORT_RATE, ("上报率", "Reporting rate"), due_and_reported, |s| match s.due_to_report() {
                    0 => -1,
                    due => s.on(REPORTED) * 1000 / due,
                }),
                figure("fevers", ("发热人数", "With fever"), [counts::FEVERS], |s| s.on(counts::FEVERS)),
                gauge("needs_open", ("未办结生活需求(当前)", "Open life needs (now)"), counts::NEEDS_OPEN.into()),
                figure(ALERTS_OPEN, ("未处置预警(当前)", "Unhandled alerts (now)"), open_alerts.clone(), move |s| open_alerts.iter().map(|m| s.gauge(m)).sum()),
            ]
            .into_iter()
            .chain(open_alerts_by_kind())
            .collect(),
        ),
        (("病例", "Cases"), cases),
        (
            ("随访与密接", "Follow-ups and contacts"),
            vec![
                figure("follow_ups_due", ("当日应随访", "Follow-ups due that day"), [counts::FOLLOW_UPS_DUE], |s| s.on(counts::FOLLOW_UPS_DUE)),
                figure("follow_ups_overdue", ("逾期未随访", "Follow-ups overdue"), [counts::FOLLOW_UPS_DUE, counts::FOLLOW_UPS_DONE], |s| {
                    s.before(counts::FOLLOW_UPS_DUE) - s.before(counts::FOLLOW_UPS_DONE)
                }),
                figure("contacts_new", ("新增密切接触者", "New close contacts"), [counts::CONTACTS_NEW], |s| s.on(counts::CONTACTS_NEW)),
                figure("contacts_total", ("累计密切接触者", "Close contacts, total"), [counts::CONTACTS_NEW], |s| s.upto(counts::CONTACTS_NEW)),
                figure("contacts_observing", ("在观密切接触者", "Close contacts under observation"), [counts::CONTACTS_OBSERVING], |s| s.last_14_days(counts::CONTACTS_OBSERVING)),
            ],
        ),
        (("环卫作业人员防护", "Sanitation workers' protection"), sanitation()),
        (("卡点", "Checkpoints"), checkpoints()),
    ]
}

/// The day's screenings at checkpoints and crowded places (by the points' units): persons and
/// vehicles, fevers at the first reading, referrals to fever clinics, and the points open now.
fn checkpoints() -> Vec<Indicator> {
    use counts::{CHECKPOINT_FEVERS as FEVERS, CHECKPOINT_PERSONS as PERSONS, CHECKPOINT_REFERRALS as REFERRALS, CHECKPOINT_VEHICLES as VEHICLES};
    vec![
        gauge("checkpoints_open", ("运行中的卡点(当前)", "Points open (now)"), counts::CHECKPOINTS_OPEN.to_string()),
        figure("checkpoint_persons", ("当日检测人数", "Persons screened that day"), [PERSONS], |s| s.on(PERSONS)),
        figure("checkpoint_vehicles", ("当日检查车辆", "Vehicles checked that day"), [VEHICLES], |s| s.on(VEHICLES)),
        figure("checkpoint_fevers", ("当日初测发热", "Fevers at first reading that day"), [FEVERS], |s| s.on(FEVERS)),
        figure("checkpoint_referrals", ("当日移交发热门诊", "Referred to a fever clinic that day"), [REFERRALS], |s| s.on(REFERRALS)),
        figure("checkpoint_persons_total", ("累计检测人数", "Persons screened, total"), [PERSONS], |s| s.upto(PERSONS)),
        figure("checkpoint_referrals_total", ("累计移交发热门诊", "Referred to a fever clinic, total"), [REFERRALS], |s| s.upto(REFERRALS)),
    ]
}

/// The day's PPE inspections of sanitation workers: how many, how well equipped, the points off,
/// and the appeals: points given back so far, and those waiting for the centre.
fn sanitation() -> Vec<Indicator> {
    use counts::{SANITATION_CHECKED as CHECKED, SANITATION_INSPECTIONS as INSPECTIONS, SANITATION_MISSING as MISSING, SANITATION_POINTS as POINTS, SANITATION_RESTORED as RESTORED};
    vec![
        figure("sanitation_inspections", ("当日防护检查人次", "PPE inspections that day"), [INSPECTIONS], |s| s.on(INSPECTIONS)),
        figure("sanitation_missing", ("缺少防护用品(项)", "Items missing"), [MISSING], |s| s.on(MISSING)),
        figure(SANITATION_RATE, ("防护用品配备率", "Items worn, share"), [CHECKED, MISSING], |s| match s.on(CHECKED) {
            0 => -1,
            checked => (checked - s.on(MISSING)) * 1000 / checked,
        }),
        figure("sanitation_points", ("当日扣分", "Points off that day"), [POINTS], |s| s.on(POINTS)),
        figure("sanitation_points_total", ("累计扣分", "Points off, total"), [POINTS], |s| s.upto(POINTS)),
        figure("sanitation_restored_total", ("累计申诉恢复分数", "Points given back on appeal, total"), [RESTORED], |s| s.upto(RESTORED)),
        gauge("sanitation_appeals_open", ("待裁定申诉(当前)", "Appeals waiting (now)"), counts::SANITATION_APPEALS_OPEN.to_string()),
    ]
}

/// The share of required items worn among those checked, in per mille.
pub const SANITATION_RATE: &str = "sanitation_rate";

/// Alerts raised and not handled, of every kind, now.
pub const ALERTS_OPEN: &str = "alerts_open";

/// The counts of open alerts, one per kind.
fn open_alerts_metrics() -> Vec<String> {
    AlertKind::ALL.iter().map(|k| counts::open_alerts_metric(k.as_str())).collect()
}

/// The code of the figure of open alerts of one kind.
pub fn alerts_open_of(kind: AlertKind) -> String {
    format!("{ALERTS_OPEN}_{}", kind.as_str())
}

/// Open alerts of each kind, now: which units miss reports, which leave fevers unhandled.
fn open_alerts_by_kind() -> impl Iterator<Item = Indicator> {
    AlertKind::ALL
        .iter()
        .map(|&kind| gauge(&alerts_open_of(kind), (&format!("其中{}(当前)", kind.zh()), &format!("of which: {} (now)", kind.en().to_lowercase())), counts::open_alerts_metric(kind.as_str())))
}

/// The reporting rate, in per mille (the sanitation section has the other rate).
pub const REPORT_RATE: &str = "report_rate";

/// The case statuses a report counts, new and cumulative.
const REPORTED_STATUSES: [CaseStatus; 6] = [CaseStatus::Suspected, CaseStatus::Confirmed, CaseStatus::Asymptomatic, CaseStatus::Excluded, CaseStatus::Discharged, CaseStatus::Deceased];

/// The report of `unit` — within `jurisdiction` — on `date`; `None` for a unit outside it or unknown.
pub async fn report(db: &Db, jurisdiction: &Scope, unit: &OrgCode, date: Date) -> sqlx::Result<Option<DailyReport>> {
    report_of(db, jurisdiction, unit, date, None).await
}

/// The report, or only the figures whose codes are in `selection` (the dashboard's). Either reads
/// the counts its figures use and no other.
pub async fn report_of(db: &Db, jurisdiction: &Scope, unit: &OrgCode, date: Date, selection: Option<&[&str]>) -> sqlx::Result<Option<DailyReport>> {
    if !jurisdiction.allows(unit.as_str()) {
        return Ok(None);
    }
    let below = Scope::of(unit);
    let (home, children) = tokio::try_join!(crate::org::store::get(db, jurisdiction, unit), crate::org::store::children(db, &below, unit))?;
    let Some(home) = home else { return Ok(None) };
    let mut codes: Vec<String> = vec![home.code.clone()];
    codes.extend(children.iter().map(|c| c.code.clone()));
    let sections: Vec<((&str, &str), Vec<Indicator>)> =
        indicators().into_iter().map(|(title, figures)| (title, figures.into_iter().filter(|f| selection.is_none_or(|codes| codes.contains(&f.code.as_str()))).collect())).collect();
    let metrics: BTreeSet<&str> = sections.iter().flat_map(|(_, figures)| figures).flat_map(|f| &f.metrics).map(String::as_str).collect();
    // The hospitals' beds are the same for every unit: read beside the unit's counts.
    let wants_beds = selection.is_none();
    let (sums, beds) = tokio::try_join!(read_sums(db, &codes, date, &metrics), async { if wants_beds { beds(db, unit).await } else { Ok(Vec::new()) } })?;
    let empty = Sums::default();
    let sections = sections
        .into_iter()
        .map(|(title, figures)| Section {
            title: title.0.to_string(),
            title_en: title.1.to_string(),
            figures: figures
                .into_iter()
                .map(|Indicator { code, label, label_en, rule, .. }| Figure {
                    kind: if code == REPORT_RATE || code == SANITATION_RATE { "permille" } else { "count" },
                    value: rule(sums.get(&home.code).unwrap_or(&empty)),
                    by_unit: children.iter().map(|c| rule(sums.get(&c.code).unwrap_or(&empty))).collect(),
                    code,
                    label,
                    label_en,
                })
                .collect(),
        })
        .collect();
    Ok(Some(DailyReport { org_code: home.code, org_name: home.name, date, units: children.into_iter().map(|c| UnitRef { org_code: c.code, name: c.name }).collect(), sections, beds }))
}

/// The counts `metrics` of the units as of `date`, read by (unit, day) on the counts' key: the
/// gauges, the dated metrics' totals, the days from `date` on (up to `date` = total − the days after
/// it), and the fortnight before `date` of the one windowed metric, contacts by day of last exposure.
///
/// Each unit's rows come back [packed](counts::PACKED) into one, summed here: a county's ≈ 1,500
/// count rows took 4.9 ms to read one by one, 2.4 ms packed.
async fn read_sums(db: &Db, codes: &[String], date: Date, metrics: &BTreeSet<&str>) -> sqlx::Result<BTreeMap<String, Sums>> {
    let places = crate::db::placeholders(codes.len());
    let day = codes.len() + 1;
    // SQLite's key is (unit, day, metric): a plain `metric in (…)` becomes one seek per unit, day and
    // metric, slower (0.77 ms for a county) than filtering the unit's few dozen rows of a day (0.44 ms);
    // `|| ''` keeps the key for (unit, day) only. PostgreSQL has the same key since migration 0014
    // and keeps the plain `in`.
    let metric = if matches!(db, Db::Sqlite(_)) { "metric || ''" } else { "metric" };
    let only = format!("{metric} in ({})", (0..metrics.len()).map(|i| format!("${}", day + 1 + i)).collect::<Vec<_>>().join(", "));
    // The 13 days before `date` of the windowed metric, looked up one key each rather than scanned
    // across every metric.
    let windowed = metrics.contains(counts::CONTACTS_OBSERVING);
    let days_before: Vec<String> = if windowed { (1..=13).map(|k| (date - Duration::days(k)).to_string()).collect() } else { Vec::new() };
    let window = if windowed {
        let first = day + 1 + metrics.len();
        let before = (0..days_before.len()).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ");
        format!("union all select org_code, metric, day, n from unit_counts where org_code in ({places}) and day in ({before}) and metric = '{}'", counts::CONTACTS_OBSERVING)
    } else {
        String::new()
    };
    let sql = format!(
        "select org_code, {packed} from ( \
           select org_code, metric, day, n from unit_counts where org_code in ({places}) and day in ('', '{total}') and {only} \
           union all select org_code, metric, day, n from unit_counts where org_code in ({places}) and day >= ${day} and {only} \
           {window} \
         ) c group by org_code",
        total = counts::TOTAL,
        packed = counts::PACKED
    );
    let rows: Vec<(String, String)> = on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (String, String)>(sqlx::AssertSqlSafe(&*sql));
        for code in codes {
            q = q.bind(code);
        }
        q = q.bind(date.to_string());
        for metric in metrics {
            q = q.bind(*metric);
        }
        for day in &days_before {
            q = q.bind(day);
        }
        q.fetch_all(pool).await
    })?;
    let (on, fortnight) = (date.to_string(), (date - Duration::days(13)).to_string());
    let mut sums: BTreeMap<String, Sums> = BTreeMap::new();
    for (org_code, packed) in rows {
        let unit = sums.entry(org_code).or_default();
        for (metric, day, n) in counts::unpack(&packed) {
            if day.is_empty() {
                unit.gauges.insert(metric.to_string(), n);
                continue;
            }
            let dated = unit.dated.entry(metric.to_string()).or_default();
            match day {
                counts::TOTAL => dated.total += n,
                _ if day > on.as_str() => dated.after += n,
                _ => {
                    dated.on += if day == on { n } else { 0 };
                    dated.last_14_days += if day >= fortnight.as_str() { n } else { 0 };
                }
            }
        }
    }
    Ok(sums)
}

/// The beds of the designated hospitals of `unit`'s city by kind, now.
pub async fn beds(db: &Db, unit: &OrgCode) -> sqlx::Result<Vec<Beds>> {
    Ok(crate::cases::hospitals::city_beds(db, unit)
        .await?
        .into_iter()
        .map(|(kind, total, taken)| Beds { kind: kind.as_str().into(), label: kind.zh().into(), label_en: kind.en().into(), total, taken, free: (total - taken).max(0) })
        .collect())
}
