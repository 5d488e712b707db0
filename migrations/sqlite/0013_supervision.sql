-- Supervision visits (督导): a leader's visit to a unit — what was checked, what was found — and the
-- fixes it requires, each with a deadline, tracked until the unit reports it done.
create table supervisions (
    id integer primary key,
    org_code text not null,
    visited_on text not null,
    inspectors text not null,
    checked text not null,
    findings text not null,
    created_by bigint,
    created_by_name text not null,
    created_at bigint not null
);
create index supervisions_org on supervisions(org_code, visited_on);

create table supervision_fixes (
    id integer primary key,
    supervision_id bigint not null references supervisions(id),
    org_code text not null,
    description text not null,
    due_date text not null,
    done_at bigint,
    done_by text,
    done_note text
);
create index supervision_fixes_open on supervision_fixes(org_code, due_date) where done_at is null;
create index supervision_fixes_supervision on supervision_fixes(supervision_id);
