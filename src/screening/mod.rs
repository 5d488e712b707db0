//! The screening ledger (台账): key persons with the "十清楚" facts and their named responsible people
//! (六包一), and household visits with coverage per unit ("不漏一户").

pub mod api;
pub mod input;
pub mod ledger_list;
pub mod outbreak_areas;
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
        WuhanReturnee = "wuhan_returnee", "武汉返乡人员", "Returned from Wuhan";
        HubeiReturnee = "hubei_returnee", "湖北(除武汉)返乡人员", "Returned from Hubei (outside Wuhan)";
        HighRiskReturnee = "high_risk_returnee", "其他高风险地区返回人员", "Returned from another high-risk area";
        Floating = "floating", "流动人员", "Floating population";
        CloseContact = "close_contact", "密切接触者", "Close contact";
        SuspiciousExposure = "suspicious_exposure", "可疑暴露者", "Suspicious exposure";
        DischargedPatient = "discharged_patient", "出院患者", "Discharged patient";
        Other = "other", "其他", "Other";
    }
}

labelled_enum! {
    /// The "六包一" roles, plus the grid worker who is always one of them.
    ResponsibleRole {
        GridWorker = "grid_worker", "网格员", "Grid worker";
        Cadre = "cadre", "乡村干部", "Village or township cadre";
        PartyMember = "party_member", "党员", "Party member";
        Doctor = "doctor", "医生", "Doctor";
        AuxiliaryPolice = "auxiliary_police", "辅警", "Auxiliary police";
        GroupLeader = "group_leader", "村(居)民组长", "Villagers' group leader";
        Relative = "relative", "亲属", "Relative";
    }
}

labelled_enum! {
    /// What a household visit found.
    VisitResult {
        AllWell = "all_well", "正常", "All well";
        KeyPersonFound = "key_person_found", "发现重点人员", "Key person found";
        NobodyHome = "nobody_home", "无人在家(需复访)", "Nobody home (revisit)";
    }
}

labelled_enum! {
    /// How a key person travelled back.
    Transport {
        Train = "train", "火车", "Train";
        Plane = "plane", "飞机", "Plane";
        Coach = "coach", "长途客车", "Long-distance coach";
        Car = "car", "自驾", "Own car";
        Ship = "ship", "轮船", "Ship";
        Other = "other", "其他", "Other";
    }
}
