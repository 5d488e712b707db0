-- Screening ledger (台账), household visits, observation episodes, check-ins, alerts.

-- Protocol numbers as data with effective dates; each episode records the rule set it started under.
create table rule_sets (
    id integer primary key,
    name text not null,
    effective_from text not null,
    observation_days bigint not null,
    fever_threshold_tenths bigint not null,
    -- Local hour (UTC+8) by which the morning report is due; the evening report is due by evening_cutoff_hour.
    morning_cutoff_hour bigint not null,
    evening_cutoff_hour bigint not null,
    -- Minutes an alert may stay unhandled before it escalates to the township.
    escalation_minutes bigint not null,
    -- Days after a "nobody home" visit by which the household must be visited again.
    revisit_days bigint not null,
    -- Hours a life-needs request may stay undone before it is overdue.
    request_overdue_hours bigint not null,
    created_at bigint not null
);
insert into rule_sets (name, effective_from, observation_days, fever_threshold_tenths, morning_cutoff_hour, evening_cutoff_hour, escalation_minutes, revisit_days, request_overdue_hours, created_at)
values ('2020 年防控方案(14 天医学观察,37.3 ℃)', '2020-01-15', 14, 373, 12, 21, 120, 1, 24, 0);

create table key_persons (
    id integer primary key,
    person_id bigint not null unique references persons(id),
    org_code text not null,
    category text not null,
    origin_code text,
    origin_place text,
    departure_date text,
    arrival_date text,
    transport text,
    transport_no text,
    companions text,
    case_contact text,
    symptoms text,
    measures text,
    note text,
    created_by bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index key_persons_org on key_persons(org_code, id);

-- The "六包一" named responsible people of a key person.
create table responsibles (
    id integer primary key,
    key_person_id bigint not null references key_persons(id),
    role text not null,
    name text not null,
    phone text,
    created_at bigint not null
);
create index responsibles_key_person on responsibles(key_person_id);

create table household_visits (
    id integer primary key,
    visit_date text not null,
    household_id bigint not null references households(id),
    org_code text not null,
    visitor_id bigint,
    result text not null,
    note text,
    created_at bigint not null
);
create index household_visits_org on household_visits(org_code, visit_date);
create index household_visits_household on household_visits(household_id, visit_date);

create table observation_sites (
    id integer primary key,
    org_code text not null,
    name text not null,
    address text,
    capacity bigint not null,
    created_at bigint not null
);
create index observation_sites_org on observation_sites(org_code);

create table observation_episodes (
    id integer primary key,
    person_id bigint not null references persons(id),
    org_code text not null,
    kind text not null,
    site_id bigint references observation_sites(id),
    start_date text not null,
    period_days bigint not null,
    rule_set_id bigint not null references rule_sets(id),
    status text not null,
    report_token text not null unique,
    end_date text,
    end_note text,
    created_by bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index observation_episodes_org on observation_episodes(org_code, status);
create unique index observation_episodes_one_active on observation_episodes(person_id) where status = 'active';

create table check_ins (
    id integer primary key,
    day text not null,
    episode_id bigint not null references observation_episodes(id),
    org_code text not null,
    slot text not null,
    temperature_tenths bigint not null,
    symptoms text not null,
    note text,
    source text not null,
    idempotency_key text unique,
    reported_at bigint not null,
    created_by bigint
);
create unique index check_ins_slot on check_ins(day, episode_id, slot);
create index check_ins_episode on check_ins(episode_id, day);

create table alerts (
    id integer primary key,
    org_code text not null,
    person_id bigint not null references persons(id),
    episode_id bigint references observation_episodes(id),
    kind text not null,
    day text not null,
    detail text not null,
    raised_at bigint not null,
    handled_at bigint,
    handled_by bigint,
    handling_note text
);
create unique index alerts_once_a_day on alerts(episode_id, kind, day);
create index alerts_open on alerts(org_code, handled_at);

-- Hits on rate-limited public endpoints (self-report links), shared by every server.
create table rate_limit_hits (
    bucket text not null,
    at bigint not null
);
create index rate_limit_hits_bucket on rate_limit_hits(bucket, at);

-- Life-needs requests (生活需求): food, medicine, a doctor's visit… from the resident or the worker.
create table life_needs (
    id integer primary key,
    org_code text not null,
    person_id bigint not null references persons(id),
    episode_id bigint references observation_episodes(id),
    kind text not null,
    detail text,
    status text not null,
    requested_by text not null,
    requested_at bigint not null,
    due_at bigint not null,
    assignee text,
    assigned_at bigint,
    done_at bigint,
    done_note text
);
create index life_needs_open on life_needs(org_code, status, due_at);
