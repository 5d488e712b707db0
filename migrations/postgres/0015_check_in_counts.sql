-- People reporting per unit and day are recounted (report verify) from this index alone, in order.
create index if not exists check_ins_unit_day on check_ins(org_code, day, episode_id);
