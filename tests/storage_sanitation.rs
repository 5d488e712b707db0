//! The sanitation PPE rule as stored, on both databases: the notice of 2 February 2020 is the first
//! edition, read back as the pure rule states it.

mod common;

use common::*;
use fangkong::sanitation::editions;
use fangkong_rules::sanitation::{Edition, WorkerRole, Worn};
use time::macros::date;

#[tokio::test]
async fn the_first_edition_is_the_notice_of_2_february_with_the_four_central_districts() {
    for db in backends().await {
        let all = editions::load(&db).await.unwrap();
        assert_eq!(all.len(), 1, "on {}", db.backend_name());
        let first = &all[0];
        assert_eq!(first.rule, Edition::first(), "items by role in the notice's order, 2 points, base 100");
        assert_eq!(first.districts, ["430405", "430406", "430407", "430408"], "南岳 is left out unless an edition puts it in");
        assert!(first.count_repeat_inspections);
        assert_eq!((first.appeal_hours, first.appeal_decision_days), (48, 3), "appeal within 48 hours, decided within 3 days");
        assert_eq!(first.training_required, [WorkerRole::WasteMaskCollector]);
        assert!(editions::on(&all, date!(2020 - 02 - 01)).is_none(), "no rule before the notice");
        let in_force = editions::on(&all, date!(2020 - 02 - 15)).unwrap();
        let found = in_force.rule.assess(WorkerRole::WasteMaskCollector, &[Worn::Mask, Worn::Gloves, Worn::ProtectiveSuit]).unwrap();
        assert_eq!(found.points, 4, "no boots, no disinfectant");
    }
}
