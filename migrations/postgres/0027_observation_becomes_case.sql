-- A person who becomes a case (suspected, confirmed, asymptomatic) leaves observation: the episode
-- ends as 'became_case' and keeps which case ended it, so that excluding a suspected case can resume
-- the observation it interrupted (docs/architecture.md, "Transitions across modules").
alter table observation_episodes add column ended_by_case bigint;
-- Who ended an episode (the account name, as case transitions keep it) and when (µs).
alter table observation_episodes add column ended_by text;
alter table observation_episodes add column ended_at bigint;
-- The grid worker's today list names those of the last days: a handful of rows per unit.
create index observation_episodes_became_case on observation_episodes(org_code, end_date) where status = 'became_case';
