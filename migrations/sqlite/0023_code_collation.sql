-- PostgreSQL's code columns are made bytewise (collate "C"); SQLite compares text bytewise already.
select 1;
