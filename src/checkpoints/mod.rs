//! Checkpoints and crowded places (卡点与人员密集场所, issue 19): screening points kept by the
//! county or township, opened and closed as the rules change (Hunan closed every point not on the
//! Hubei border on 2020-02-18), the staff who work them, and the screenings recorded on a phone —
//! a vehicle and its occupants at a road, one person at a station or a canteen — each person's
//! result decided by temperature and symptoms only (`fangkong_rules::checkpoint`), counted per
//! unit and day and per point and hour in the record's transaction.

pub mod api;
pub mod divisions;
pub mod hours;
pub mod pages;
pub mod points;
pub mod screenings;

use crate::labels::labelled_enum;

labelled_enum!(
    /// What kind of place a screening point is.
    PointKind {
        Road = "road", "道路检疫卡点", "Road checkpoint";
        Station = "station", "火车站/汽车站", "Railway or bus station";
        Airport = "airport", "机场", "Airport";
        Dock = "dock", "码头", "Dock";
        ConstructionSite = "construction_site", "项目工地", "Construction site";
        Canteen = "canteen", "食堂", "Canteen";
        Market = "market", "农贸市场", "Market";
        CrowdedPlace = "crowded_place", "其他人员密集场所", "Other crowded place";
    }
);

impl PointKind {
    /// A road checkpoint screens vehicles and their occupants; every other point screens persons
    /// one by one.
    pub fn screens_vehicles(self) -> bool {
        self == PointKind::Road
    }
}

labelled_enum!(
    /// The vehicle stopped at a road checkpoint.
    VehicleKind {
        Car = "car", "小型客车", "Car";
        Bus = "bus", "大中型客车", "Bus or coach";
        Truck = "truck", "货车", "Lorry";
        Motorcycle = "motorcycle", "摩托车", "Motorcycle";
        Other = "other", "其他车辆", "Other vehicle";
    }
);

pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}
