-- Where a county observes its discharged patients (RULES §1.9: home by default, centralized in some
-- places): one of the sites serving the county, or none for home observation.
create table county_settings (
    org_code text collate "C" primary key,
    post_discharge_site_id bigint references observation_sites(id),
    updated_at bigint not null,
    updated_by bigint
);
