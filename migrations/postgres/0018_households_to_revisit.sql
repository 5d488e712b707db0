-- Households whose latest visit found nobody home are counted (`hh.nobody_home`), so a unit's
-- coverage (households, visited, to visit again) reads its roll-up counts instead of its
-- households; filled from the households at the next start.
insert into app_flags (name, value, set_at) values ('counts_rebuild', 'pending', 0) on conflict (name) do nothing;
