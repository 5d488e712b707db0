-- Every code column is compared bytewise, as the jurisdiction ranges (`org_code >= $1 and org_code <
-- $2`) and division-code prefixes assume: three had been created under the database's collation.
alter table import_jobs alter column org_code type text collate "C";
alter table key_persons alter column origin_code type text collate "C";
alter table persons alter column hukou_code type text collate "C";
