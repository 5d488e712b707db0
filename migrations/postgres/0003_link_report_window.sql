-- The self-report link's hourly allowance, kept on the episode row the check-in writer reads anyway:
-- a report in a window that started less than an hour ago counts against it, a later one opens a new
-- window. One update per batch replaces a hit row per report (and its sweeping).
alter table observation_episodes add column report_window_start bigint not null default 0;
alter table observation_episodes add column report_window_count bigint not null default 0;
