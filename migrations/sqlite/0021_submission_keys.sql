-- Idempotency keys belong to one submitter's submission for one owner (the episode a check-in or a
-- life-needs request is for), not to the whole database: the same key sent for another episode is
-- another submission, and the same key with another body for the same episode is a conflict.
-- A check-in keeps the key of the report it holds, with who sent it and a fingerprint of what was
-- sent; a key whose report a later one corrected moves to `submission_keys`, where life-needs
-- requests keep theirs, so a retry is answered with its record even after a correction.
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

-- SQLite cannot drop a unique constraint: the table is rebuilt with the key unique per episode.
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
    idempotency_key text,
    reported_at bigint not null,
    created_by bigint,
    key_submitter text,
    key_fingerprint text
);
insert into check_ins_rebuilt (id, day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, idempotency_key, reported_at, created_by)
    select id, day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, idempotency_key, reported_at, created_by from check_ins;
drop table check_ins;
alter table check_ins_rebuilt rename to check_ins;
create unique index check_ins_slot on check_ins(day, episode_id, slot);
create index check_ins_episode on check_ins(episode_id, day);
create index check_ins_unit_day on check_ins(org_code, day, episode_id);
create unique index check_ins_key on check_ins(idempotency_key, episode_id);
