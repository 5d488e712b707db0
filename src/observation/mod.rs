//! Home and centralized medical observation (居家/集中医学观察): episodes counted from the last
//! exposure, twice-daily check-ins by the grid worker or the resident's own link, and the alerts they
//! raise on the responsible grid worker's list, with those the clock raises (see [`sweep`]).

pub mod alert_detail;
pub mod api;
pub mod call;
pub mod case_link;
pub mod chart;
pub mod checkin_rows;
pub mod checkins;
pub mod episodes;
pub mod needs;
pub mod pages;
pub mod rules;
pub mod self_report;
pub mod site_pages;
pub mod sites;
pub mod sweep;
pub mod today;
pub mod writer;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router().merge(self_report::api_router())
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router().merge(self_report::page_router()).merge(site_pages::router())
}

use crate::labels::labelled_enum;

labelled_enum! {
    /// Where the observation happens.
    Kind {
        Home = "home", "居家医学观察", "Home medical observation";
        Centralized = "centralized", "集中医学观察", "Centralized medical observation";
    }
}

labelled_enum! {
    /// An episode's state. `became_case` is set only by a case opening (and undone when a suspected
    /// case is excluded within the period); `released` only by the index case's exclusion.
    Status {
        Active = "active", "观察中", "Under observation";
        EndedHealthy = "ended_healthy", "期满解除", "Ended, period complete";
        Transferred = "transferred", "转发热门诊/病例", "Sent to a fever clinic / became a case";
        Lost = "lost", "失访", "Lost to follow-up";
        Released = "released", "提前解除(指示病例已排除)", "Released early (index case excluded)";
        BecameCase = "became_case", "转为病例", "Became a case";
    }
}

labelled_enum! {
    /// Morning or evening temperature.
    Slot {
        Morning = "am", "上午", "Morning";
        Evening = "pm", "下午", "Afternoon";
    }
}

labelled_enum! {
    AlertKind {
        Fever = "fever", "发热", "Fever";
        RedFlag = "red_flag", "可疑症状", "Suspicious symptoms";
        MissedMorning = "missed_am", "上午未报体温", "Morning temperature missed";
        MissedEvening = "missed_pm", "下午未报体温", "Afternoon temperature missed";
        VisitOverdue = "visit_overdue", "逾期未复访", "Revisit overdue";
        NeedOverdue = "need_overdue", "生活需求超时", "Life need overdue";
    }
}
