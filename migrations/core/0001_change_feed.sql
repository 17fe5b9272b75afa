-- The change feed's cross-process signal (src/db/changes.ts): a trigger calling this on a table
-- tells every panel process listening on `hatchery_changes` that the table changed, at commit
-- (PostgreSQL delivers notifications then, one per table and transaction).
CREATE OR REPLACE FUNCTION "hatchery_notify_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hatchery_changes', TG_TABLE_NAME);
  RETURN NULL;
END $$;
