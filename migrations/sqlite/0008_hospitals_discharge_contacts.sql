-- Treatment at city level and the hand-off back home (RULES §1.9, §8): designated hospitals with
-- their beds, transfers of cases to them, discharge with its criteria, the follow-ups due after it,
-- and close contacts of cases.

-- A closed case (discharged, deceased, excluded) leaves the person free for a new one.
drop index cases_one_open;
create unique index cases_one_open on cases(person_id) where status in ('suspected', 'confirmed', 'asymptomatic');
-- The clocks still open, for the boards.
create index cases_unreported on cases(diagnosed_at) where reported_at is null;
create index cases_uninvestigated on cases(diagnosed_at) where investigated_at is null;

-- Discharge and after (RULES §1.9), per edition: days of normal temperature required, the
-- observation period after discharge, and the days after discharge the follow-ups fall due.
alter table case_rule_sets add column discharge_afebrile_days bigint not null default 3;
alter table case_rule_sets add column post_discharge_days bigint not null default 14;
alter table case_rule_sets add column follow_up_days text not null default '14,28';

-- Designated hospitals (定点医院) and their beds by kind.
create table hospitals (
    id integer primary key,
    org_code text not null,
    name text not null,
    general_beds bigint not null,
    isolation_beds bigint not null,
    icu_beds bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index hospitals_name on hospitals(org_code, name);

-- A case's transfer to a designated hospital: requested by the county, accepted by the hospital
-- (which reserves the bed), admitted; ended at discharge or death, or cancelled. A reserved or
-- occupied bed is one of `accepted` or `admitted`.
create table transfers (
    id integer primary key,
    case_id bigint not null references cases(id),
    hospital_id bigint not null references hospitals(id),
    bed_kind text not null,
    status text not null,
    requested_at bigint not null,
    requested_by bigint,
    accepted_at bigint,
    admitted_at bigint,
    ended_at bigint,
    note text
);
create index transfers_hospital on transfers(hospital_id, status);
create unique index transfers_one_open on transfers(case_id) where status in ('requested', 'accepted', 'admitted');

-- Discharge (出院) with the criteria checked, and the observation episode it handed the person to.
create table discharges (
    case_id bigint primary key references cases(id),
    discharged_at bigint not null,
    criteria text not null,
    episode_id bigint references observation_episodes(id),
    created_by bigint,
    created_at bigint not null
);

-- Follow-up visits after discharge (week 2 and week 4), on the home grid's list.
create table follow_ups (
    id integer primary key,
    case_id bigint not null references cases(id),
    person_id bigint not null references persons(id),
    org_code text not null,
    week bigint not null,
    due_date text not null,
    done_at bigint,
    done_by bigint,
    note text,
    created_at bigint not null
);
create index follow_ups_open on follow_ups(org_code, due_date) where done_at is null;
create index follow_ups_case on follow_ups(case_id);

-- Close contacts (密切接触者) of a case, observed in their own grid from the last exposure.
create table contacts (
    id integer primary key,
    case_id bigint not null references cases(id),
    person_id bigint not null references persons(id),
    org_code text not null,
    exposure text not null,
    last_exposure_date text not null,
    episode_id bigint references observation_episodes(id),
    -- 1 when registering this contact started the episode (so releasing the contact may end it).
    started_episode bigint not null,
    status text not null,
    released_at bigint,
    created_by bigint,
    created_at bigint not null
);
create unique index contacts_once on contacts(case_id, person_id);
create index contacts_org on contacts(org_code, status);
create index contacts_person on contacts(person_id);
