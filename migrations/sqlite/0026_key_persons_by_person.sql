-- The overdue list's second path reads the observations not reported today, then each one's key
-- person by person: with the unit and category in this index, that is an index probe, not a read
-- of the key person's row (docs/architecture.md, "Lists at city scale").
create index key_persons_person on key_persons(person_id, org_code, category);
