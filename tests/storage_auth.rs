//! Storage of accounts, sessions, login throttling and the audit trail, on SQLite and PostgreSQL.

mod common;

use common::*;
use fangkong::audit::store::Filter;
use fangkong::audit::{AuditEvent, store as audit};
use fangkong::auth::sessions::{self, Lifetimes, SessionKind};
use fangkong::auth::throttle::{self, Limits};
use fangkong::auth::{Role, store as users};
use fangkong::error::AppError;
use fangkong_rules::Scope;

#[tokio::test]
async fn accounts_are_unique_scoped_and_can_be_disabled() {
    for db in backends().await {
        let id = add_user(&db, "leiyang_cmd", Role::CountyCommander, "430481").await;
        let dup = users::NewUser { username: "leiyang_cmd".into(), display_name: "x".into(), role: Role::GridWorker, org_code: code("430481001"), password_hash: "x".into() };
        match users::create(&db, &actor(), &Scope::everything(), dup).await {
            Err(AppError::Invalid(f)) => assert_eq!(f[0].field, "username"),
            other => panic!("{other:?}"),
        }
        let outside = users::NewUser { username: "hn".into(), display_name: "x".into(), role: Role::GridWorker, org_code: code("430422"), password_hash: "x".into() };
        assert!(users::create(&db, &actor(), &Scope::of(&code("430481")), outside).await.is_err());
        assert_eq!(users::list(&db, &Scope::of(&code("430481"))).await.unwrap().len(), 1);
        assert!(users::list(&db, &Scope::of(&code("430422"))).await.unwrap().is_empty());
        assert!(users::get(&db, &Scope::of(&code("430422")), id).await.unwrap().is_none());
        let (user, hash) = users::find_for_login(&db, "leiyang_cmd").await.unwrap().unwrap();
        assert_eq!((user.role, user.org_code.as_str()), (Role::CountyCommander, "430481"));
        assert!(fangkong::auth::password::verify(PASSWORD, &hash));

        let session = sessions::create(&db, id, SessionKind::Web, &Lifetimes::default()).await.unwrap();
        users::set_active(&db, &actor(), &Scope::everything(), id, false).await.unwrap();
        assert!(sessions::lookup(&db, &session.token, SessionKind::Web, &Lifetimes::default()).await.unwrap().is_none(), "disabling ends sessions");
        assert!(!users::get(&db, &Scope::everything(), id).await.unwrap().unwrap().active);

        // A new password replaces the old one and ends the account's sessions; only within scope.
        users::set_active(&db, &actor(), &Scope::everything(), id, true).await.unwrap();
        let session = sessions::create(&db, id, SessionKind::Api, &Lifetimes::default()).await.unwrap();
        let hash = fangkong::auth::password::hash("a-new-long-password").unwrap();
        assert!(matches!(users::set_password(&db, &actor(), &Scope::of(&code("430422")), id, &hash).await, Err(AppError::NotFound)));
        users::set_password(&db, &actor(), &Scope::of(&code("430481")), id, &hash).await.unwrap();
        let (_, stored) = users::find_for_login(&db, "leiyang_cmd").await.unwrap().unwrap();
        assert!(fangkong::auth::password::verify("a-new-long-password", &stored) && !fangkong::auth::password::verify(PASSWORD, &stored));
        assert!(sessions::lookup(&db, &session.token, SessionKind::Api, &Lifetimes::default()).await.unwrap().is_none(), "a reset ends sessions");

        // A row edited by hand into an unknown role is an error, never read as some other role.
        fangkong::on_db!(&db, pool => sqlx::query::<DB>("update users set role = 'root' where id = $1").bind(id).execute(pool).await.map(|_| ())).unwrap();
        assert!(users::find_for_login(&db, "leiyang_cmd").await.is_err());
        assert!(users::get(&db, &Scope::everything(), id).await.is_err());
    }
}

#[tokio::test]
async fn sessions_expire_when_idle_or_old_and_tokens_do_not_cross_kinds() {
    for db in backends().await {
        let id = add_user(&db, "u1", Role::GridWorker, "430481001").await;
        let lifetimes = Lifetimes::default();
        let web = sessions::create(&db, id, SessionKind::Web, &lifetimes).await.unwrap();
        let api = sessions::create(&db, id, SessionKind::Api, &lifetimes).await.unwrap();
        assert_eq!(sessions::lookup(&db, &web.token, SessionKind::Web, &lifetimes).await.unwrap().unwrap().user_id, id);
        assert!(sessions::lookup(&db, &web.token, SessionKind::Api, &lifetimes).await.unwrap().is_none());
        assert!(sessions::lookup(&db, "not-a-token", SessionKind::Web, &lifetimes).await.unwrap().is_none());
        let idle = Lifetimes { web_idle: -1, ..lifetimes };
        assert!(sessions::lookup(&db, &web.token, SessionKind::Web, &idle).await.unwrap().is_none(), "idle session ends");
        assert!(sessions::lookup(&db, &web.token, SessionKind::Web, &lifetimes).await.unwrap().is_none(), "and stays ended");
        assert!(sessions::lookup(&db, &api.token, SessionKind::Api, &idle).await.unwrap().is_some(), "API tokens have no idle limit");
        let short = Lifetimes { api_absolute: -1, ..lifetimes };
        let expired = sessions::create(&db, id, SessionKind::Api, &short).await.unwrap();
        assert!(sessions::lookup(&db, &expired.token, SessionKind::Api, &lifetimes).await.unwrap().is_none());
        sessions::delete(&db, &api.token).await.unwrap();
        assert!(sessions::lookup(&db, &api.token, SessionKind::Api, &lifetimes).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account_and_per_address() {
    for db in backends().await {
        let limits = Limits { per_account: 3, per_address: 5, window: 60_000_000 };
        for _ in 0..3 {
            assert!(throttle::admit_login(&db, &limits, "alice", "10.0.0.1").await.unwrap());
        }
        assert!(!throttle::admit_login(&db, &limits, "alice", "10.0.0.9").await.unwrap(), "per account");
        assert!(throttle::admit_login(&db, &limits, "bob", "10.0.0.9").await.unwrap());
        assert!(throttle::admit_login(&db, &limits, "carol", "10.0.0.1").await.unwrap());
        assert!(throttle::admit_login(&db, &limits, "carol", "10.0.0.1").await.unwrap());
        assert!(!throttle::admit_login(&db, &limits, "dave", "10.0.0.1").await.unwrap(), "per address: the sixth attempt from it");
        throttle::login_succeeded(&db, "alice", "10.0.0.9").await.unwrap();
        assert!(throttle::admit_login(&db, &limits, "alice", "10.0.0.9").await.unwrap(), "a sign-in forgives the account");
        // Successful sign-ins from one office address do not add up to a block.
        for _ in 0..10 {
            assert!(throttle::admit_login(&db, &limits, "erin", "10.0.0.2").await.unwrap());
            throttle::login_succeeded(&db, "erin", "10.0.0.2").await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_burst_of_a_hundred_guesses_gets_at_most_the_allowance_checked() {
    for db in backends().await {
        // The address's allowance set wide, so that the account's is the one tested.
        let limits = Limits { per_address: 1000, ..Limits::default() };
        let attempts = (0..100).map(|_| {
            let db = db.clone();
            tokio::spawn(async move { throttle::admit_login(&db, &limits, "target", "10.0.0.1").await.unwrap() })
        });
        let mut admitted = 0;
        for attempt in attempts.collect::<Vec<_>>() {
            admitted += usize::from(attempt.await.unwrap());
        }
        assert_eq!(admitted, 5, "on {}", db.backend_name());
        let spread = (0..100)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { throttle::allow(&db, "report-miss:10.0.0.7", 30, 600_000_000).await.unwrap() })
            })
            .collect::<Vec<_>>();
        let mut allowed = 0;
        for hit in spread {
            allowed += usize::from(hit.await.unwrap());
        }
        assert_eq!(allowed, 30, "a public bucket holds too");
    }
}

#[tokio::test]
async fn the_audit_trail_is_read_by_scope_newest_first() {
    for db in backends().await {
        for (org, action) in [("430481001001001", "person.view_full"), ("430422107", "person.search"), ("430481", "person.search")] {
            let event = AuditEvent { action, record_type: "person", record_id: Some("7".into()), org_code: org.into(), detail: Some("kind=name results=1".into()) };
            audit::record(&db, &actor(), event).await.unwrap();
        }
        let leiyang = audit::list(&db, &Scope::of(&code("430481")), &Filter::default(), 10).await.unwrap();
        assert_eq!(leiyang.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), ["person.search", "person.view_full"]);
        assert_eq!(leiyang[0].actor, "cli:test");
        let views = audit::list(&db, &Scope::of(&code("430400")), &Filter::of_action("person.view_full"), 10).await.unwrap();
        assert_eq!(views.len(), 1);
        let older = audit::list(&db, &Scope::of(&code("430400")), &Filter { before: Some(leiyang[0].id), ..Filter::default() }, 10).await.unwrap();
        assert_eq!(older.len(), 2);
    }
}

#[tokio::test]
async fn the_audit_trail_is_filtered_by_account_and_by_days() {
    use fangkong::audit::Actor;
    let day = |d: u8| fangkong::clock::micros_at(day_of(d), 10);
    let person = |org: &str| AuditEvent { action: "person.view_full", record_type: "person", record_id: Some("7".into()), org_code: org.into(), detail: None };
    let account = |id: i64, name: &str| Actor { user_id: Some(id), username: name.into(), org_code: "430481".into(), client_addr: None };
    let resident = Actor { user_id: None, username: "leiyang".into(), org_code: "430481".into(), client_addr: None };
    for db in backends().await {
        let rows = [(1, account(1, "leiyang")), (2, account(2, "caizichi")), (3, account(1, "leiyang")), (3, resident.clone()), (5, account(1, "leiyang"))];
        for (d, who) in &rows {
            let at = day(*d);
            fangkong::on_db!(&db, pool => audit::insert_many(&mut *pool.acquire().await.unwrap(), at, &[(who, person("430481001001001"))]).await.unwrap());
        }
        let listed = |filter: Filter| {
            let db = db.clone();
            async move {
                let found = audit::list(&db, &Scope::of(&code("430481")), &filter, 10).await.unwrap();
                found.iter().map(|r| (fangkong::clock::day_of_micros(r.at).day(), r.actor.clone())).collect::<Vec<_>>()
            }
        };
        let leiyang = |d: u8| (d, "leiyang".to_string());
        assert_eq!(
            listed(Filter { actor: Some("leiyang".into()), ..Filter::default() }).await,
            [leiyang(5), leiyang(3), leiyang(1)],
            "an account's rows, not a resident's report that happens to bear the name"
        );
        let (from, until) = (Some(fangkong::clock::micros_at(day_of(2), 0)), Some(fangkong::clock::micros_at(day_of(3), 24)));
        assert_eq!(listed(Filter { from, until, ..Filter::default() }).await, [leiyang(3), leiyang(3), (2, "caizichi".into())], "the 2nd and the 3rd, both days whole");
        assert_eq!(listed(Filter { actor: Some("leiyang".into()), from, ..Filter::default() }).await, [leiyang(5), leiyang(3)]);
        assert_eq!(listed(Filter { until: Some(fangkong::clock::micros_at(day_of(1), 24)), ..Filter::default() }).await, [leiyang(1)]);
        assert_eq!(listed(Filter { from: Some(fangkong::clock::micros_at(day_of(6), 0)), ..Filter::default() }).await, []);
        let outside = audit::list(&db, &Scope::of(&code("430422")), &Filter { actor: Some("leiyang".into()), ..Filter::default() }, 10).await.unwrap();
        assert!(outside.is_empty(), "another county's trail holds none of it");
    }
}

fn day_of(d: u8) -> time::Date {
    time::Date::from_calendar_date(2020, time::Month::February, d).unwrap()
}
