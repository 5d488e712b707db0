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
alter table check_ins drop constraint check_ins_idempotency_key_key;
alter table check_ins add column key_submitter text, add column key_fingerprint text;
create unique index check_ins_key on check_ins(idempotency_key, episode_id);
