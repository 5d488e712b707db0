-- The case pipeline (病例): protocol editions as data, cases with every change of state kept (who,
-- when, why, under which edition), samples and their laboratory results.

-- One row per protocol edition: the numbers and lists an edition changes (RULES §1.2–§1.4, §1.8).
create table case_rule_sets (
    id integer primary key,
    name text not null,
    effective_from text not null,
    -- Suspected: clinical items needed with an epidemiological-history item, and without one.
    clinical_with_history bigint not null,
    clinical_without_history bigint not null,
    -- Exclusion: two negatives sampled at least this many hours apart, and (7th diagnosis edition)
    -- IgM and IgG negative at least this many days after onset.
    exclusion_min_hours bigint not null,
    exclusion_antibody_days bigint,
    -- Clocks: online report after diagnosis, lab result after receipt, epidemiological investigation.
    report_hours bigint not null,
    lab_hours bigint not null,
    investigation_hours bigint not null,
    created_at bigint not null
);
insert into case_rule_sets (name, effective_from, clinical_with_history, clinical_without_history, exclusion_min_hours, exclusion_antibody_days, report_hours, lab_hours, investigation_hours, created_at)
values ('防控方案第三版 / 诊疗方案第四版', '2020-01-28', 2, 3, 24, null, 2, 12, 24, 0),
       ('诊疗方案第七版(排除疑似须抗体阴性)', '2020-03-03', 2, 3, 24, 7, 2, 12, 24, 0);

create table cases (
    id integer primary key,
    person_id bigint not null references persons(id),
    org_code text not null,
    -- suspected, confirmed, asymptomatic or excluded
    status text not null,
    onset_date text,
    -- The triage findings as comma-separated item codes.
    history text not null,
    clinical text not null,
    rule_set_id bigint not null references case_rule_sets(id),
    diagnosed_at bigint not null,
    -- The online direct report (网络直报) and the completed epidemiological investigation (流调).
    reported_at bigint,
    investigated_at bigint,
    created_by bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index cases_org on cases(org_code, status);
-- A person has at most one case that is not closed.
create unique index cases_one_open on cases(person_id) where status <> 'excluded';

create table case_transitions (
    id integer primary key,
    case_id bigint not null references cases(id),
    from_status text,
    to_status text not null,
    at bigint not null,
    actor_id bigint,
    actor text not null,
    reason text not null,
    rule_set_id bigint not null references case_rule_sets(id)
);
create index case_transitions_case on case_transitions(case_id, id);

create table samples (
    id integer primary key,
    case_id bigint not null references cases(id),
    kind text not null,
    taken_at bigint not null,
    received_at bigint,
    lab text,
    created_at bigint not null
);
create index samples_case on samples(case_id);

create table lab_results (
    id integer primary key,
    sample_id bigint not null references samples(id),
    case_id bigint not null references cases(id),
    -- nucleic_acid, igm or igg; positive, negative or inconclusive
    test text not null,
    result text not null,
    resulted_at bigint not null,
    created_by bigint,
    created_at bigint not null
);
create index lab_results_case on lab_results(case_id);
