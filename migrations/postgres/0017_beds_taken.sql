-- Beds taken by kind are counted under each hospital's unit (`beds.<kind>`), so the daily report,
-- the dashboard and the case board read them instead of every open transfer; filled from the
-- transfers at the next start.
insert into app_flags (name, value, set_at) values ('counts_rebuild', 'pending', 0) on conflict (name) do nothing;
