-- Clinical classification (临床分型) of a confirmed case with its history: a patient moves between
-- mild, common, severe and critical; each assessment is kept (RULES §1.6).
create table case_severities (
    id integer primary key,
    case_id bigint not null references cases(id),
    severity text not null,
    assessed_at bigint not null,
    actor_id bigint,
    actor text not null,
    created_at bigint not null
);
create index case_severities_case on case_severities(case_id, assessed_at);
