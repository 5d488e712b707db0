-- Rate limits (sign-in attempts per account and per address, self-report look-ups, requests per
-- link) are counted by one upsert that increments a bucket's hits and returns them, so that the
-- decision holds under any concurrency and across servers sharing the database. The tables that
-- counted by inserting a row and then counting the rows (which a burst slipped through) go.
create table rate_counters (
    bucket text primary key,
    -- When the current window ends (epoch µs); a hit after it starts a new window.
    window_ends bigint not null,
    hits bigint not null
);
create index rate_counters_ends on rate_counters(window_ends);
drop table login_failures;
drop table rate_limit_hits;
