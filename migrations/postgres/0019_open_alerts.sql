-- Alerts raised and not handled are counted by kind (`alerts.<kind>`) for the daily report and the
-- dashboard; filled from the alerts at the next start.
insert into app_flags (name, value, set_at) values ('counts_rebuild', 'pending', 0) on conflict (name) do nothing;
