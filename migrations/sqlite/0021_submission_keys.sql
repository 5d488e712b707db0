-- Idempotency keys belong to one submitter's submission for one owner (the episode a check-in or a
-- life-needs request is for), not to the whole database: the same key sent for another episode is
-- another submission, and the same key with another body for the same episode is a conflict. Every
-- key accepted is remembered here with a fingerprint of what was submitted, so a retry is answered
-- with its record even after a later report corrected the row.
create table submission_keys (
    idempotency_key text not null,
    kind text not null,
    owner bigint not null,
    -- `resident`, or `account:<username>`; null for keys kept before this table (any submitter matches).
    submitter text,
    -- A hash of the submission's content; null for keys kept before this table.
    fingerprint text,
    record_id bigint not null,
    created_at bigint not null,
    primary key (idempotency_key, kind, owner)
);
insert into submission_keys (idempotency_key, kind, owner, submitter, fingerprint, record_id, created_at)
    select idempotency_key, 'check_in', episode_id, null, null, id, reported_at from check_ins where idempotency_key is not null;

-- SQLite cannot drop a column that has a unique constraint: the table is rebuilt without it.
create table check_ins_rebuilt (
    id integer primary key,
    day text not null,
    episode_id bigint not null references observation_episodes(id),
    org_code text not null,
    slot text not null,
    temperature_tenths bigint not null,
    symptoms text not null,
    note text,
    source text not null,
    reported_at bigint not null,
    created_by bigint
);
insert into check_ins_rebuilt (id, day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, reported_at, created_by)
    select id, day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, reported_at, created_by from check_ins;
drop table check_ins;
alter table check_ins_rebuilt rename to check_ins;
create unique index check_ins_slot on check_ins(day, episode_id, slot);
create index check_ins_episode on check_ins(episode_id, day);
create index check_ins_unit_day on check_ins(org_code, day, episode_id);
