//! Directives and supervision on SQLite and PostgreSQL: the city issues to its counties, a county
//! acknowledges and passes it down with its own instructions, a township reports back, and the
//! roll-up says so at every level; deadlines missed escalate; nothing is done for another unit.
//! Supervision visits record fixes the visited unit reports done.

mod common;

use common::*;
use fangkong::command::directives::{self, NewAttachment, NewDirective};
use fangkong::command::supervision::{self, CheckItem, NewFix, NewSupervision};
use fangkong::command::supervision_fixes;
use fangkong::error::AppError;
use fangkong_rules::Scope;
use time::Duration;

const HOUR: i64 = 3_600_000_000;

fn directive(title: &str, now: i64, hours: i64) -> NewDirective {
    NewDirective { title: title.into(), body: "全面排查武汉返乡人员,逐户登记".into(), ack_due_at: now + 2 * HOUR, feedback_due_at: now + hours * HOUR, attachments: Vec::new() }
}

#[tokio::test]
async fn a_directive_cascades_down_and_its_progress_rolls_up() {
    for db in backends().await {
        seed_area(&db).await;
        let now = fangkong::db::now_micros();
        let city = Scope::of(&code("430400"));
        let mut first = directive("关于开展重点人员拉网排查的通知", now, 24);
        first.attachments.push(NewAttachment { filename: "排查表.xlsx".into(), content_type: "application/vnd.ms-excel".into(), data: vec![1, 2, 3] });

        let past = NewDirective { ack_due_at: now - HOUR, ..directive("过期", now, 24) };
        assert!(matches!(directives::issue(&db, &actor(), &city, &code("430400"), past, now).await, Err(AppError::Invalid(ref f)) if f[0].message == "签收时限应晚于现在"));
        let id = directives::issue(&db, &actor(), &city, &code("430400"), first, now).await.unwrap();
        let view = directives::view(&db, &city, &code("430400"), id, now).await.unwrap().unwrap();
        let counties = view.targets.len() as i64;
        assert!(counties >= 12, "every county and district of Hengyang is addressed");
        assert_eq!((view.progress.total, view.progress.acknowledged, view.attachments.len()), (counties, 0, 1));

        // Leiyang acknowledges and passes it down; Hengnan cannot act for Leiyang.
        let leiyang_target = view.targets.iter().find(|t| t.org_code == "430481").unwrap().id;
        assert!(matches!(directives::acknowledge(&db, &actor(), &code("430422"), leiyang_target, now).await, Err(AppError::NotFound)));
        directives::acknowledge(&db, &actor(), &code("430481"), leiyang_target, now).await.unwrap();
        let late = NewDirective { feedback_due_at: now + 48 * HOUR, ..directive("转发", now, 48) };
        assert!(matches!(directives::forward(&db, &actor(), &code("430481"), leiyang_target, late, now).await,
            Err(AppError::Invalid(ref f)) if f[0].message.starts_with("反馈时限不能晚于上级要求的")));
        let passed = NewDirective { body: "各乡镇街道今日内完成,零报告".into(), ..directive("关于开展重点人员拉网排查的通知", now, 12) };
        let forwarded = directives::forward(&db, &actor(), &code("430481"), leiyang_target, passed, now).await.unwrap();
        let again = directives::forward(&db, &actor(), &code("430481"), leiyang_target, directive("再转", now, 12), now).await;
        assert!(matches!(again, Err(AppError::Conflict { .. })), "passed down once");

        // A township sees the chain with the original attachment, and reports back.
        let township = Scope::of(&code("430481001"));
        let below = directives::view(&db, &township, &code("430481001"), forwarded, now).await.unwrap().unwrap();
        assert_eq!((below.chain.len(), below.chain[0].id, below.attachments.len()), (1, id, 1));
        let mine = below.mine.clone().unwrap();
        assert!(directives::attachment(&db, &township, &code("430481001"), forwarded, below.attachments[0].id, now).await.unwrap().is_some());
        assert!(matches!(directives::complete(&db, &actor(), &code("430481001"), mine.id, "  ", now).await, Err(AppError::Invalid(_))));
        directives::complete(&db, &actor(), &code("430481001"), mine.id, "已排查 1203 户,发现返乡人员 17 人,均已登记", now).await.unwrap();
        assert!(matches!(directives::complete(&db, &actor(), &code("430481001"), mine.id, "again", now).await, Err(AppError::Conflict { .. })));
        let hengnan = Scope::of(&code("430422"));
        assert!(directives::view(&db, &hengnan, &code("430422"), forwarded, now).await.unwrap().is_none(), "another county does not see Leiyang's instructions");

        // The city sees Leiyang's line with its townships' progress.
        let view = directives::view(&db, &city, &code("430400"), id, now).await.unwrap().unwrap();
        let leiyang = view.targets.iter().find(|t| t.org_code == "430481").unwrap();
        let townships = below.targets.len() as i64;
        assert!(leiyang.acknowledged_at.is_some() && leiyang.forwarded_id == Some(forwarded));
        let progress = leiyang.below.unwrap();
        assert_eq!((progress.total, progress.acknowledged, progress.completed), (townships, 1, 1));
        assert_eq!((view.progress.acknowledged, view.progress.completed), (1, 0));

        // Three hours on: every county but Leiyang is late to acknowledge, escalated to the city;
        // past the county's 12 hours, Leiyang's silent townships show to the county and the city.
        let later = now + 3 * HOUR;
        let overdue = directives::overdue_below(&db, &city, later, 100).await.unwrap();
        assert_eq!(overdue.iter().filter(|o| o.kind == "acknowledgement" && o.directive_id == id).count() as i64, counties - 1);
        let much_later = now + 13 * HOUR;
        let county_view = directives::overdue_below(&db, &Scope::of(&code("430481")), much_later, 100).await.unwrap();
        assert_eq!(county_view.len() as i64, townships - 1, "every Leiyang township but the one that reported back");
        assert!(directives::overdue_below(&db, &city, much_later, 1000).await.unwrap().iter().any(|o| o.directive_id == forwarded));
        let received = directives::received(&db, &code("430481001"), much_later, 10).await.unwrap();
        assert_eq!((received.len(), received[0].target.completed_at.is_some(), received[0].target.feedback_overdue), (1, true, false));

        // The city reminds (催办) the counties that have not acknowledged: a newer directive does
        // not push the reminded one down their list; Leiyang, which acknowledged, is not reminded.
        assert!(matches!(directives::remind(&db, &actor(), &code("430481"), id, later).await, Err(AppError::NotFound)), "only the issuer reminds");
        let newer = directives::issue(&db, &actor(), &city, &code("430400"), directive("关于做好春运返程防控的通知", later, 24), later).await.unwrap();
        assert_eq!(directives::remind(&db, &actor(), &code("430400"), id, later).await.unwrap() as i64, counties - 1);
        let hengnan_list = directives::received(&db, &code("430422"), later, 10).await.unwrap();
        assert_eq!((hengnan_list[0].directive.id, hengnan_list[0].target.reminded_at, hengnan_list[1].directive.id), (id, Some(later), newer), "the reminded directive comes first");
        let leiyang_list = directives::received(&db, &code("430481"), later, 10).await.unwrap();
        assert_eq!((leiyang_list[0].directive.id, leiyang_list[1].target.reminded_at), (newer, None), "an acknowledged directive is not reminded");
    }
}

#[tokio::test]
async fn a_supervision_visit_tracks_its_fixes_to_done() {
    for db in backends().await {
        seed_area(&db).await;
        let today = fangkong::clock::today();
        let county = Scope::of(&code("430481"));
        let visit = |org: &str, checked: Vec<CheckItem>, visited_on| NewSupervision {
            org_code: code(org),
            visited_on,
            inspectors: "市督导组 王组长".into(),
            checked,
            findings: "台账未标注返乡日期 3 处".into(),
            fixes: vec![NewFix { description: "补全台账返乡日期".into(), due_date: today + Duration::days(1) }, NewFix { description: "卡点夜间值守".into(), due_date: today - Duration::days(1) }],
        };
        assert!(matches!(supervision::record(&db, &actor(), &county, &visit("430481001", vec![], today), today).await, Err(AppError::Invalid(ref f)) if f[0].field == "checked"));
        assert!(
            matches!(supervision::record(&db, &actor(), &county, &visit("430481001", vec![CheckItem::Ledgers], today + Duration::days(1)), today).await, Err(AppError::Invalid(ref f)) if f[0].field == "visited_on")
        );
        assert!(
            matches!(supervision::record(&db, &actor(), &county, &visit("430422107", vec![CheckItem::Ledgers], today - Duration::days(3)), today).await, Err(AppError::Invalid(ref f)) if f[0].field == "org_code")
        );
        let early = NewSupervision { visited_on: today - Duration::days(3), ..visit("430481001", vec![CheckItem::Ledgers], today) };
        let id = supervision::record(
            &db,
            &actor(),
            &county,
            &NewSupervision { fixes: early.fixes, ..visit("430481001", vec![CheckItem::Ledgers, CheckItem::Checkpoints], today - Duration::days(3)) },
            today,
        )
        .await
        .unwrap();

        let listed = supervision::list(&db, &county, today, 10).await.unwrap();
        assert_eq!((listed.len(), listed[0].fixes_open, listed[0].fixes_overdue, listed[0].checked_labels(&fangkong::web::i18n::Lang::Zh).as_str()), (1, 2, 1, "排查台账、卡点值守"));
        let view = supervision::view(&db, &county, id, today).await.unwrap().unwrap();
        let township = Scope::of(&code("430481001"));
        assert!(supervision::view(&db, &Scope::of(&code("430422")), id, today).await.unwrap().is_none());
        let fix = view.fixes[0].id;
        assert!(matches!(supervision_fixes::report_done(&db, &actor(), &Scope::of(&code("430422")), fix, "done").await, Err(AppError::NotFound)));
        let own = supervision_fixes::report_done(&db, &actor(), &county, fix, "已整改").await;
        assert!(matches!(own, Err(AppError::Invalid(ref f)) if f[0].code == "not_visited_unit"), "the supervising unit does not report its own fix done: {own:?}");
        assert!(matches!(supervision_fixes::review(&db, &actor(), &county, fix, true, "").await, Err(AppError::Conflict { .. })), "nothing to confirm before the report");
        assert!(matches!(supervision_fixes::report_done(&db, &actor(), &township, fix, "").await, Err(AppError::Invalid(_))));
        let township_officer = fangkong::audit::Actor { user_id: None, username: "township_officer".into(), org_code: "430481001".into(), client_addr: None };
        assert_eq!(supervision_fixes::report_done(&db, &township_officer, &township, fix, "夜间两人值守已排班").await.unwrap(), id);
        let after = supervision::list(&db, &county, today, 10).await.unwrap();
        assert_eq!((after[0].fixes_open, after[0].fixes_overdue), (1, 0), "the overdue fix is done");
        let refused = supervision_fixes::review(&db, &township_officer, &township, fix, true, "").await;
        assert!(matches!(refused, Err(AppError::Invalid(ref f)) if f[0].code == "not_supervising_unit"), "the visited unit does not confirm its own fix: {refused:?}");

        assert!(matches!(supervision_fixes::review(&db, &actor(), &county, fix, false, " ").await, Err(AppError::Invalid(_))), "sending back needs a reason");
        supervision_fixes::review(&db, &actor(), &county, fix, false, "排班表未张贴").await.unwrap();
        assert_eq!(supervision::list(&db, &county, today, 10).await.unwrap()[0].fixes_open, 2, "sent back, the fix is open again");
        supervision_fixes::report_done(&db, &township_officer, &township, fix, "排班表已张贴").await.unwrap();
        supervision_fixes::review(&db, &actor(), &county, fix, true, "").await.unwrap();
        let fixes = supervision::view(&db, &county, id, today).await.unwrap().unwrap().fixes;
        let confirmed = fixes.iter().find(|f| f.id == fix).unwrap();
        assert!(confirmed.confirmed_at.is_some() && confirmed.done_at.is_some());
        let steps: Vec<(&str, &str, &str)> = confirmed.steps.iter().map(|s| (s.step.as_str(), s.actor.as_str(), s.actor_org.as_str())).collect();
        assert_eq!(
            steps,
            [("done", "township_officer", "430481001"), ("reopened", "cli:test", ""), ("done", "township_officer", "430481001"), ("confirmed", "cli:test", "")],
            "each step names who and from where"
        );
        assert!(confirmed.steps.iter().all(|s| s.at > 0));
    }
}
