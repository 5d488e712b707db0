-- Person search reads each kind of search from an index shaped for it (docs/architecture.md,
-- "Person search"): a name prefix from the name index or from the unit's names, the last four
-- characters of a document or a mobile from their own columns. Every search index leaves merged
-- duplicates out (they are not found by searches) and ends with the unit, the merge column (null
-- in every entry: SQLite reads a column the query names from the row unless the index holds it)
-- and the id, so that a page's ids are read from the index alone.
alter table persons add column id_tail text generated always as (substr(id_key, -4)) virtual;
alter table persons add column phone_tail text generated always as (substr(phone, -4)) virtual;
drop index persons_name;
create index persons_name on persons(name, org_code, merged_into, id) where merged_into is null;
create index persons_unit_name on persons(org_code, name, merged_into, id) where merged_into is null;
create index persons_id_tail on persons(id_tail, org_code, merged_into, id) where merged_into is null;
create index persons_phone_tail on persons(phone_tail, org_code, merged_into, id) where merged_into is null;
