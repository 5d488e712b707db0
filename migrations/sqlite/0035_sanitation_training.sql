-- Waste-mask handling training (废弃口罩收运培训): a session held in a district, with who attended.
-- A worker of a role the edition says must be trained, with no session on record, is flagged on
-- the district's page and counted.
create table sanitation_trainings (
    id integer primary key,
    district_code text not null,
    org_code text not null,
    held_on date not null,
    trainer text not null,
    topic text not null,
    created_by text not null,
    created_at bigint not null
);
create index sanitation_trainings_org on sanitation_trainings(org_code, held_on);
create table sanitation_training_attendance (
    training_id bigint not null references sanitation_trainings(id),
    worker_id bigint not null references sanitation_workers(id),
    primary key (training_id, worker_id)
);
create index sanitation_training_attendance_worker on sanitation_training_attendance(worker_id);
