-- Screening points (卡点与人员密集场所, issue 19): road checkpoints, stations, airports, docks,
-- construction sites, canteens, markets and other crowded places, each kept by a unit (its
-- jurisdiction). A point is open from `opened_on`; closed (`closed_on`, with the reason) it takes
-- no records; reopened it takes them again. Every opening and closing is an event row.
create table screening_points (
    id integer primary key,
    org_code text not null references org_units(code),
    kind text not null,
    name text not null,
    location text not null,
    opened_on date not null,
    -- The day it closed; null while open.
    closed_on date,
    close_reason text,
    created_by text not null,
    created_at bigint not null
);
create index screening_points_org on screening_points(org_code, id);

create table screening_point_events (
    id integer primary key,
    point_id bigint not null references screening_points(id),
    -- `opened`, `closed` or `reopened`.
    event text not null,
    on_day date not null,
    reason text,
    actor text not null,
    at bigint not null
);
create index screening_point_events_point on screening_point_events(point_id, id);

-- The checkpoint staff accounts who work a point: only they record at it.
create table screening_point_staff (
    point_id bigint not null references screening_points(id),
    user_id bigint not null references users(id),
    assigned_by text not null,
    assigned_at bigint not null,
    primary key (point_id, user_id)
);
create index screening_point_staff_user on screening_point_staff(user_id, point_id);

-- One screening: a vehicle and its occupants at a road point, or one person at a place. The
-- origin and destination are division codes (GB/T 2260), or for a destination inside the city the
-- unit it goes to. A retry with the same key (unique per point) records nothing new.
create table screenings (
    id integer primary key,
    point_id bigint not null references screening_points(id),
    org_code text not null,
    screened_at bigint not null,
    plate text,
    vehicle_kind text,
    origin_code text not null,
    destination_code text not null,
    destination_address text,
    occupants bigint not null,
    recorder_id bigint,
    recorder text not null,
    idempotency_key text,
    submitter text not null,
    fingerprint text not null,
    created_at bigint not null
);
create index screenings_point on screenings(point_id, id);
create index screenings_org on screenings(org_code, id);
create unique index screenings_key on screenings(point_id, idempotency_key) where idempotency_key is not null;

-- Each person screened: the reading(s), the symptoms seen (comma-separated codes, '' none) and the
-- result (`pass`, `retest` while a fever waits for its second reading, `referred`), decided by
-- temperature and symptoms only. Name, ID number and phone are optional.
create table screened_persons (
    id integer primary key,
    screening_id bigint not null references screenings(id),
    point_id bigint not null,
    org_code text not null,
    screened_at bigint not null,
    seat bigint not null,
    temperature_tenths bigint not null,
    retest_tenths bigint,
    retested_at bigint,
    -- The first reading was at or above the fever threshold in force (the fact counted as a fever).
    fever boolean not null,
    symptoms text not null,
    result text not null,
    name text,
    id_number text,
    id_key text,
    phone text
);
create index screened_persons_screening on screened_persons(screening_id, seat);
create index screened_persons_point on screened_persons(point_id, id);
create index screened_persons_retest on screened_persons(point_id, id) where result = 'retest';

-- What a point recorded per Beijing hour (`YYYY-MM-DD HH`), kept in the transaction of the record
-- as `unit_counts` are: persons, vehicles, fevers, referrals.
create table point_counts (
    point_id bigint not null,
    hour text not null,
    metric text not null,
    n bigint not null,
    primary key (point_id, hour, metric)
) without rowid;
