-- A fix goes through steps, each naming who and when: the visited unit reports it done, the
-- supervising unit confirms it or sends it back with a reason (docs/architecture.md, "Command
-- centre decisions"). The fix row keeps its current state; the steps keep the history.
alter table supervision_fixes add column confirmed_at bigint;
alter table supervision_fixes add column confirmed_by text;
create table supervision_fix_steps (
    id integer primary key,
    fix_id bigint not null references supervision_fixes(id),
    -- 'done', 'confirmed' or 'reopened'.
    step text not null,
    at bigint not null,
    actor text not null,
    -- The unit of the account that took the step.
    actor_org text not null,
    note text
);
create index supervision_fix_steps_fix on supervision_fix_steps(fix_id, id);
-- Fixes reported done before steps were kept: their report is the first step.
insert into supervision_fix_steps (fix_id, step, at, actor, actor_org, note)
    select id, 'done', done_at, coalesce(done_by, ''), org_code, done_note from supervision_fixes where done_at is not null;
