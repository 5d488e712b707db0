-- Two records of the same person merged (reversibly): the duplicate points at the kept record,
-- and the merge lists every row it moved so that undoing it moves exactly those back.
alter table persons add column merged_into bigint references persons(id);
create table person_merges (
    id integer primary key,
    kept_id bigint not null references persons(id),
    merged_id bigint not null references persons(id),
    -- JSON: {"table": [row ids moved from the duplicate to the kept record]}.
    moved text not null,
    merged_at bigint not null,
    merged_by bigint,
    undone_at bigint,
    undone_by bigint
);
create index person_merges_kept on person_merges(kept_id);
create unique index person_merges_active on person_merges(merged_id) where undone_at is null;
