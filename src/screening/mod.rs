//! The screening ledger (台账): key persons with the "十清楚" facts and their named responsible people
//! (六包一), and household visits with coverage per unit ("不漏一户").

pub mod api;
pub mod input;
pub mod ledger_list;
pub mod pages;
pub mod store;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}

use crate::labels::labelled_enum;

labelled_enum! {
    /// Why a person is on the ledger (人员类别).
    Category {
        WuhanReturnee = "wuhan_returnee", "武汉返乡人员";
        HubeiReturnee = "hubei_returnee", "湖北(除武汉)返乡人员";
        HighRiskReturnee = "high_risk_returnee", "其他高风险地区返回人员";
        Floating = "floating", "流动人员";
        CloseContact = "close_contact", "密切接触者";
        SuspiciousExposure = "suspicious_exposure", "可疑暴露者";
        DischargedPatient = "discharged_patient", "出院患者";
        Other = "other", "其他";
    }
}

labelled_enum! {
    /// The "六包一" roles, plus the grid worker who is always one of them.
    ResponsibleRole {
        GridWorker = "grid_worker", "网格员";
        Cadre = "cadre", "乡村干部";
        PartyMember = "party_member", "党员";
        Doctor = "doctor", "医生";
        AuxiliaryPolice = "auxiliary_police", "辅警";
        GroupLeader = "group_leader", "村(居)民组长";
        Relative = "relative", "亲属";
    }
}

labelled_enum! {
    /// What a household visit found.
    VisitResult {
        AllWell = "all_well", "正常";
        KeyPersonFound = "key_person_found", "发现重点人员";
        NobodyHome = "nobody_home", "无人在家(需复访)";
    }
}

labelled_enum! {
    /// How a key person travelled back.
    Transport {
        Train = "train", "火车";
        Plane = "plane", "飞机";
        Coach = "coach", "长途客车";
        Car = "car", "自驾";
        Ship = "ship", "轮船";
        Other = "other", "其他";
    }
}
