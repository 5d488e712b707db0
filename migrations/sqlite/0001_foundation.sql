-- Org tree, accounts, sessions, audit, person registry. Timestamps: epoch microseconds.

create table org_units (
    code text primary key,
    parent_code text references org_units(code),
    name text not null,
    level text not null,
    kind text,
    population bigint,
    created_at bigint not null
);
create index org_units_parent on org_units(parent_code, code);

create table households (
    id integer primary key,
    org_code text not null references org_units(code),
    address text not null,
    building text,
    unit text,
    room text,
    created_at bigint not null
);
create index households_org on households(org_code, id);

create table users (
    id integer primary key,
    username text not null unique,
    display_name text not null,
    password_hash text not null,
    role text not null,
    org_code text not null references org_units(code),
    active boolean not null default true,
    created_at bigint not null
);
create index users_org on users(org_code, id);

create table sessions (
    token_hash text primary key,
    user_id bigint not null references users(id),
    kind text not null,
    csrf_token text not null,
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null
);
create index sessions_user on sessions(user_id);
create index sessions_expiry on sessions(expires_at);

create table login_failures (
    id integer primary key,
    username text not null,
    client_addr text not null,
    at bigint not null
);
create index login_failures_user on login_failures(username, at);
create index login_failures_addr on login_failures(client_addr, at);
create index login_failures_at on login_failures(at);

create table audit_log (
    id integer primary key,
    at bigint not null,
    actor_id bigint,
    actor text not null,
    action text not null,
    record_type text not null,
    record_id text,
    org_code text not null,
    client_addr text,
    detail text
);
create index audit_log_org on audit_log(org_code, id);

create table persons (
    id integer primary key,
    org_code text not null references org_units(code),
    household_id bigint references households(id),
    name text not null,
    id_type text not null,
    id_number text not null,
    id_key text not null,
    id_legacy boolean not null default false,
    sex text,
    birth_date text,
    phone text,
    ethnicity text,
    current_address text,
    hukou_code text,
    work_unit text,
    created_by bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index persons_id_key on persons(id_key, id_type);
create index persons_org on persons(org_code, id);
create index persons_name on persons(name, org_code);
create index persons_phone on persons(phone);
create index persons_household on persons(household_id);

create table app_flags (
    name text primary key,
    value text not null,
    set_at bigint not null
);
