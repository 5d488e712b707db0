-- Persons are counted under their unit (`persons`), so a units page reads one count per unit
-- instead of counting a county's persons; filled from the persons at the next start.
insert into app_flags (name, value, set_at) values ('counts_rebuild', 'pending', 0) on conflict (name) do nothing;
