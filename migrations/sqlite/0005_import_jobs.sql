-- Ledger imports started from the web page run in the background; their pages follow them here.
-- Progress lives in the memory of the server running the import; the outcome is kept here.
create table import_jobs (
    id integer primary key,
    org_code text not null,
    user_id bigint references users(id),
    file_name text not null,
    mode text not null,
    -- running, done or failed
    status text not null,
    rows_total bigint not null default 0,
    -- The per-row report as JSON, once done; why it failed (in Chinese), once failed.
    report text,
    error text,
    created_at bigint not null,
    finished_at bigint
);
create index import_jobs_org on import_jobs(org_code, id);
