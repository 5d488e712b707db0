-- The sanitation PPE rule as dated data: an edition applies from `effective_from` until the next
-- one, and an inspection keeps the edition it was made under. Each edition says what a missing
-- item costs, the score a district starts its month from, which districts are in the scheme
-- (comma-separated division codes: whether 南岳 counts is a setting, not code), whether a second
-- inspection of a worker on one day counts in the month's score, how long a district has to
-- appeal a deduction and the centre to decide, which roles need the waste-mask training, and each
-- role's items.
create table sanitation_editions (
    id integer primary key,
    name text not null,
    effective_from date not null unique,
    points_per_item bigint not null check (points_per_item > 0),
    base_score bigint not null check (base_score > 0),
    districts text not null,
    count_repeat_inspections boolean not null,
    appeal_hours bigint not null check (appeal_hours > 0),
    appeal_decision_days bigint not null check (appeal_decision_days > 0),
    -- Comma-separated WorkerRole codes of those who must be trained (waste-mask handling).
    training_required_roles text not null,
    source text not null
);
create table sanitation_required_items (
    edition_id bigint not null references sanitation_editions(id),
    -- sanitation::WorkerRole's code, and PpeItem's.
    role text not null,
    item text not null,
    -- The order the notice lists the items in, as the inspection form shows them.
    position bigint not null,
    primary key (edition_id, role, item)
);
insert into sanitation_editions (name, effective_from, points_per_item, base_score, districts, count_repeat_inspections, appeal_hours, appeal_decision_days, training_required_roles, source) values
    ('市环境卫生事务中心关于做好疫情防控期间环卫作业人员防护工作的通知', '2020-02-02', 2, 100, '430405,430406,430407,430408', true, 48, 3, 'waste_mask_collector',
     '2020-02-02 市环卫中心通知:每天派出督查组检查,每缺一项扣 2 分,计入各城区月度环卫考核');
insert into sanitation_required_items (edition_id, role, item, position)
    select e.id, r.column1, r.column2, r.column3 from sanitation_editions e, (values
        ('cleaner', 'mask', 1), ('cleaner', 'gloves', 2),
        ('collection', 'mask', 1), ('collection', 'gloves', 2), ('collection', 'disinfectant', 3),
        ('waste_mask_collector', 'mask', 1), ('waste_mask_collector', 'gloves', 2), ('waste_mask_collector', 'rubber_boots', 3),
        ('waste_mask_collector', 'suit_or_raincoat', 4), ('waste_mask_collector', 'disinfectant', 5)
    ) as r
    where e.effective_from = '2020-02-02';
