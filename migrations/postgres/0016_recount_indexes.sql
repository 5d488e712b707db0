-- Report verify recounts key persons by registration day, observations by start and end day, and
-- fever alerts by day, per unit: each from an index in unit order instead of the whole table.
create index if not exists key_persons_registered on key_persons(org_code, created_at);
create index if not exists observation_episodes_days on observation_episodes(org_code, start_date, end_date);
create index if not exists alerts_fevers on alerts(org_code, day) where kind = 'fever';
