//! The command-centre dashboard (指挥大屏) of the city or any unit below: today's key figures, the
//! outbreak's trends, the breakdown by child unit to drill into, bed occupancy and overdue clocks.
//! Everything is read from the roll-up counts and the daily report of today, so the wall screen
//! costs a handful of index ranges however large the city.

use super::daily::{self, DailyReport};
use crate::counts;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::observation::AlertKind;
use crate::on_db;
use crate::web::i18n::Lang;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, Duration};

/// Days of trend shown (the outbreak's first weeks are what the command centre compares against).
pub const TREND_DAYS: i64 = 60;

/// The figures of today's report shown large, in this order.
const KEY_FIGURES: [&str; 9] = ["observing", "report_rate", "fevers", "new_confirmed", "total_confirmed", "new_suspected", "contacts_observing", "needs_open", daily::ALERTS_OPEN];

/// The checkpoints panel's figures, read from today's report; the first three are its columns by unit.
const CHECKPOINT_FIGURES: [&str; 5] = ["checkpoint_persons", "checkpoint_fevers", "checkpoint_referrals", "checkpoint_vehicles", "checkpoints_open"];

/// The breakdown's columns, read from today's report.
const UNIT_FIGURES: [&str; 6] = ["observing", "report_rate", "fevers", "new_confirmed", "total_confirmed", daily::ALERTS_OPEN];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyFigure {
    pub code: String,
    pub label: String,
    pub value: i64,
    pub shown: String,
}

/// Daily series, oldest day first; a rate is `null` on a day nobody was due to report.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub days: Vec<String>,
    pub new_confirmed: Vec<i64>,
    pub new_suspected: Vec<i64>,
    pub observing: Vec<i64>,
    /// Per cent, one decimal.
    pub report_rate: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitLine {
    pub org_code: String,
    pub name: String,
    /// The values of `observing`, `report_rate` (per mille, -1 when none due), `fevers`,
    /// `new_confirmed`, `total_confirmed`, `alerts_open`, in that order.
    pub values: Vec<i64>,
    pub shown: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub org_code: String,
    pub org_name: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub date: Date,
    pub key: Vec<KeyFigure>,
    /// Alerts not yet handled, one figure per kind (their sum is the key figure `alerts_open`).
    pub alerts: Vec<KeyFigure>,
    pub trend: Trend,
    /// The labels of `UnitLine::values`.
    pub unit_columns: Vec<String>,
    pub units: Vec<UnitLine>,
    pub beds: Vec<daily::Beds>,
    /// Clocks of the unit's cases open past their due time (sampling, report, investigation, lab).
    pub overdue_clocks: i64,
    /// The sanitation scheme's districts within the unit, when there are any.
    pub sanitation: Option<SanitationPanel>,
    /// Today's screenings at the checkpoints within the unit, when it has kept any point.
    pub checkpoints: Option<CheckpointPanel>,
}

/// Today's screenings at checkpoints and crowded places within the unit, and by child unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckpointPanel {
    /// Persons screened, fevers, referrals, vehicles today, and the points open now.
    pub figures: Vec<KeyFigure>,
    /// The labels of `UnitLine::values`: persons screened, fevers, referrals.
    pub columns: Vec<String>,
    pub units: Vec<UnitLine>,
}

/// This month's sanitation scores of the scheme's districts within the unit (ranked among all of
/// the scheme's districts), and the unit's inspections and points off today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SanitationPanel {
    pub month: String,
    pub closed: bool,
    pub today_inspections: i64,
    pub today_points: i64,
    /// Appeals undecided past the edition's days: escalated, for the city to chase.
    pub appeals_overdue: i64,
    pub districts: Vec<SanitationLine>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SanitationLine {
    pub org_code: String,
    pub name: String,
    pub rank: i64,
    pub score: i64,
    pub base_score: i64,
    pub deductions: i64,
    pub inspections: i64,
    /// Required items found worn this month, per thousand checked; `None` when nothing was checked.
    pub compliance_permille: Option<i64>,
}

/// The sanitation panel of `unit` on `today`: `None` when no district of the scheme is within it
/// (or no edition is in force).
async fn sanitation(db: &Db, unit: &OrgCode, today: Date) -> AppResult<Option<SanitationPanel>> {
    let all = crate::sanitation::editions::load(db).await?;
    let month = crate::sanitation::months::of_day(today);
    let scores = match crate::sanitation::months::scores(db, &Scope::of(unit), &all, &month, today).await {
        Ok(scores) if !scores.districts.is_empty() => scores,
        Ok(_) | Err(AppError::Invalid(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let codes: Vec<String> = scores.districts.iter().map(|d| d.district_code.clone()).collect();
    let names = crate::org::store::names_of(db, &codes).await?;
    let day = today.to_string();
    let decision_days = crate::sanitation::editions::on(&all, today).map_or(3, |e| e.appeal_decision_days);
    let within = Scope::of(unit);
    let (inspections, points, appeals_overdue) = tokio::try_join!(
        counts::sum_since(db, unit.as_str(), counts::SANITATION_INSPECTIONS, &day),
        counts::sum_since(db, unit.as_str(), counts::SANITATION_POINTS, &day),
        crate::sanitation::appeals::overdue(db, &within, decision_days)
    )?;
    let districts = scores
        .districts
        .into_iter()
        .map(|d| SanitationLine {
            name: names.get(&d.district_code).cloned().unwrap_or_else(|| d.district_code.clone()),
            org_code: d.district_code,
            rank: d.rank,
            score: d.score,
            base_score: d.base_score,
            deductions: d.deductions,
            inspections: d.inspections,
            compliance_permille: d.compliance_permille,
        })
        .collect();
    Ok(Some(SanitationPanel { month: scores.month, closed: scores.closed.is_some(), today_inspections: inspections, today_points: points, appeals_overdue, districts }))
}

/// The dashboard of `unit` within `jurisdiction` on `today`, labelled in `lang`; `None` outside it.
pub async fn dashboard(db: &Db, jurisdiction: &Scope, unit: &OrgCode, today: Date, now: i64, lang: Lang) -> AppResult<Option<Dashboard>> {
    if !jurisdiction.allows(unit.as_str()) {
        return Ok(None);
    }
    // The four reads are independent: run side by side, each on its own connection.
    let (low, high) = Scope::of(unit).bounds();
    let alert_figures: Vec<String> = AlertKind::ALL.iter().map(|&k| daily::alerts_open_of(k)).collect();
    let figures: Vec<&str> = KEY_FIGURES.iter().chain(UNIT_FIGURES.iter()).chain(CHECKPOINT_FIGURES.iter()).copied().chain(alert_figures.iter().map(String::as_str)).collect();
    let (report, trend, overdue, beds, sanitation) = tokio::try_join!(
        async { Ok::<_, AppError>(daily::report_of(db, jurisdiction, unit, today, Some(&figures)).await?) },
        async { Ok(trend(db, unit, today).await?) },
        async { Ok(crate::cases::board::overdue_clocks(db, &low, &high, now).await?) },
        async { Ok(daily::beds(db, unit).await?) },
        sanitation(db, unit, today)
    )?;
    let Some(report) = report else { return Ok(None) };
    let checkpoints = checkpoint_panel(&report.clone().in_language(lang));
    Ok(Some(Dashboard { sanitation, checkpoints, ..from_report(report, trend, beds, overdue.len() as i64, lang) }))
}

/// The checkpoints panel from today's report: none for a unit that keeps no point and screened
/// nobody today (a unit without checkpoints is not shown a row of zeros).
fn checkpoint_panel(report: &DailyReport) -> Option<CheckpointPanel> {
    let figures: Vec<&daily::Figure> = CHECKPOINT_FIGURES.iter().filter_map(|code| report.figure(code)).collect();
    if figures.iter().all(|f| f.value == 0) {
        return None;
    }
    let columns = &figures[..3.min(figures.len())];
    let units = unit_lines(report, columns);
    Some(CheckpointPanel { figures: figures.iter().map(|f| key_figure(f)).collect(), columns: columns.iter().map(|f| f.label.clone()).collect(), units })
}

/// A figure shown large.
fn key_figure(f: &daily::Figure) -> KeyFigure {
    KeyFigure { code: f.code.clone(), label: f.label.clone(), value: f.value, shown: f.shown() }
}

/// Each child unit of the report with the values of `columns`.
fn unit_lines(report: &DailyReport, columns: &[&daily::Figure]) -> Vec<UnitLine> {
    report
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| UnitLine {
            org_code: u.org_code.clone(),
            name: u.name.clone(),
            values: columns.iter().map(|f| f.by_unit[i]).collect(),
            shown: columns.iter().map(|f| f.show(f.by_unit[i])).collect(),
        })
        .collect()
}

fn from_report(report: DailyReport, trend: Trend, beds: Vec<daily::Beds>, overdue_clocks: i64, lang: Lang) -> Dashboard {
    let report = report.in_language(lang);
    let beds = beds.into_iter().map(|b| daily::Beds { label: lang.pick(&b.label, &b.label_en).to_string(), ..b }).collect();
    let key = KEY_FIGURES.iter().filter_map(|code| report.figure(code)).map(key_figure).collect();
    // Labelled by kind alone: the panel's title says they are open alerts.
    let alerts = AlertKind::ALL.iter().filter_map(|&k| report.figure(&daily::alerts_open_of(k)).map(|f| KeyFigure { label: k.label(lang).into(), ..key_figure(f) })).collect();
    let columns: Vec<&daily::Figure> = UNIT_FIGURES.iter().filter_map(|code| report.figure(code)).collect();
    let units = unit_lines(&report, &columns);
    Dashboard {
        unit_columns: columns.iter().map(|f| f.label.clone()).collect(),
        org_code: report.org_code,
        org_name: report.org_name,
        date: report.date,
        key,
        alerts,
        trend,
        units,
        beds,
        overdue_clocks,
        sanitation: None,
        checkpoints: None,
    }
}

/// The unit's daily series over the last [`TREND_DAYS`] up to `today`, from its dated counts.
async fn trend(db: &Db, unit: &OrgCode, today: Date) -> sqlx::Result<Trend> {
    let metrics = [
        counts::case_new_metric("confirmed"),
        counts::case_new_metric("suspected"),
        counts::OBSERVATION_STARTED.to_string(),
        counts::OBSERVATION_ENDED.to_string(),
        counts::CHECKIN_REPORTED.to_string(),
    ];
    let rows: Vec<(String, String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String, i64)>(
        "select metric, day, n from unit_counts where org_code = $1 and metric in ($2, $3, $4, $5, $6) and day > '*' and day <= $7")
        .bind(unit.as_str()).bind(&metrics[0]).bind(&metrics[1]).bind(&metrics[2]).bind(&metrics[3]).bind(&metrics[4]).bind(today.to_string())
        .fetch_all(pool).await)?;
    let mut by_day: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (metric, day, n) in rows {
        by_day.entry(day).or_default().insert(metric, n);
    }
    let first_shown = (today - Duration::days(TREND_DAYS - 1)).to_string();
    let (mut started, mut ended_before) = (0, 0);
    let mut trend = Trend::default();
    let mut day = by_day.keys().next().and_then(|d| crate::clock::parse_date(d)).map_or(today, |d| d.max(today - Duration::days(366)));
    while day <= today {
        let key = day.to_string();
        let of = |metric: &str| by_day.get(&key).and_then(|m| m.get(metric)).copied().unwrap_or(0);
        started += of(counts::OBSERVATION_STARTED);
        let due = started - ended_before;
        let ended_today = of(counts::OBSERVATION_ENDED);
        if key >= first_shown {
            trend.new_confirmed.push(of(&metrics[0]));
            trend.new_suspected.push(of(&metrics[1]));
            trend.observing.push(due - ended_today);
            trend.report_rate.push((due > 0).then(|| (of(counts::CHECKIN_REPORTED) * 1000 / due) as f64 / 10.0));
            trend.days.push(key.clone());
        }
        ended_before += ended_today;
        day += Duration::days(1);
    }
    Ok(trend)
}
