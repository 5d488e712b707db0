-- Directives (指令) cascaded down the tree: a unit issues one to its child units; each addressed
-- unit acknowledges it (签收), and either reports back (反馈) or passes it down to its own children
-- as a new directive with its own instructions (parent_id; root_id names the original).
create table directives (
    id integer primary key,
    root_id bigint references directives(id),
    parent_id bigint references directives(id),
    org_code text not null,
    title text not null,
    body text not null,
    ack_due_at bigint not null,
    feedback_due_at bigint not null,
    created_by bigint,
    created_by_name text not null,
    created_at bigint not null
);
create index directives_org on directives(org_code, created_at);
create index directives_root on directives(root_id);

-- One row per unit a directive is addressed to, with what that unit did about it.
create table directive_targets (
    id integer primary key,
    directive_id bigint not null references directives(id),
    org_code text not null,
    acknowledged_at bigint,
    acknowledged_by text,
    forwarded_id bigint references directives(id),
    completed_at bigint,
    completed_by text,
    feedback text,
    unique (directive_id, org_code)
);
create index directive_targets_org on directive_targets(org_code, directive_id);

-- Files sent with a directive (the notice as issued, a form to use), kept in the database.
create table directive_attachments (
    id integer primary key,
    directive_id bigint not null references directives(id),
    filename text not null,
    content_type text not null,
    size bigint not null,
    data blob not null,
    created_at bigint not null
);
create index directive_attachments_directive on directive_attachments(directive_id);
