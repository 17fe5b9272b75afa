CREATE TABLE "admin_activity_counts" (
	"subject" uuid PRIMARY KEY NOT NULL,
	"count" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_activity_counts" (
	"user_uuid" uuid PRIMARY KEY NOT NULL,
	"count" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "user_activity_counts" ("user_uuid", "count")
SELECT "user_uuid", count(*) FROM "user_activities" GROUP BY "user_uuid";
--> statement-breakpoint
INSERT INTO "admin_activity_counts" ("subject", "count")
SELECT "user_uuid", count(*) FROM "admin_activities" WHERE "user_uuid" IS NOT NULL GROUP BY "user_uuid"
UNION ALL SELECT '00000000-0000-0000-0000-000000000000', count(*) FROM "admin_activities";
--> statement-breakpoint
-- Adds (or, with a negative n, takes away) counts; a row that reaches 0 is removed, so a deleted
-- user leaves nothing behind.
CREATE FUNCTION "activity_counts_add"(counts regclass, key_column text, deltas jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'INSERT INTO %s AS c (%I, "count") SELECT (d->>''k'')::uuid, (d->>''n'')::bigint FROM jsonb_array_elements($1) d
     ON CONFLICT (%I) DO UPDATE SET "count" = c."count" + excluded."count"', counts, key_column, key_column) USING deltas;
  EXECUTE format('DELETE FROM %s WHERE "count" <= 0 AND %I IN (SELECT (d->>''k'')::uuid FROM jsonb_array_elements($1) d)', counts, key_column) USING deltas;
END $$;
--> statement-breakpoint
CREATE FUNCTION "user_activities_count"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE deltas jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('k', "user_uuid", 'n', n)) INTO deltas FROM (SELECT "user_uuid", count(*) n FROM "changed" GROUP BY 1) g;
  ELSE
    SELECT jsonb_agg(jsonb_build_object('k', "user_uuid", 'n', -n)) INTO deltas FROM (SELECT "user_uuid", count(*) n FROM "changed" GROUP BY 1) g;
  END IF;
  IF deltas IS NOT NULL THEN PERFORM "activity_counts_add"('user_activity_counts', 'user_uuid', deltas); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "user_activities_count_inserted" AFTER INSERT ON "user_activities"
REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "user_activities_count"();
--> statement-breakpoint
CREATE TRIGGER "user_activities_count_deleted" AFTER DELETE ON "user_activities"
REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "user_activities_count"();
--> statement-breakpoint
-- Moving a user's activity to another user is not something the panel does: refuse it rather than miscount.
CREATE FUNCTION "user_activities_refuse_move"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'user_activities.user_uuid cannot change';
END $$;
--> statement-breakpoint
CREATE TRIGGER "user_activities_refuse_move" BEFORE UPDATE OF "user_uuid" ON "user_activities"
FOR EACH ROW WHEN (OLD."user_uuid" IS DISTINCT FROM NEW."user_uuid") EXECUTE FUNCTION "user_activities_refuse_move"();
--> statement-breakpoint
-- Admin activity: per acting user, plus the whole log under the nil uuid. The acting user becomes
-- NULL when that user is deleted (ON DELETE SET NULL): an UPDATE moves the rows out of their count.
CREATE FUNCTION "admin_activities_count"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE deltas jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('k', k, 'n', n)) INTO deltas FROM (
      SELECT "user_uuid" k, count(*) n FROM "added" WHERE "user_uuid" IS NOT NULL GROUP BY 1
      UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid, count(*) FROM "added") g;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(jsonb_build_object('k', k, 'n', -n)) INTO deltas FROM (
      SELECT "user_uuid" k, count(*) n FROM "removed" WHERE "user_uuid" IS NOT NULL GROUP BY 1
      UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid, count(*) FROM "removed") g;
  ELSE
    SELECT jsonb_agg(jsonb_build_object('k', k, 'n', n)) INTO deltas FROM (
      SELECT k, sum(n) n FROM (
        SELECT "user_uuid" k, -1 n FROM "removed" WHERE "user_uuid" IS NOT NULL
        UNION ALL SELECT "user_uuid", 1 FROM "added" WHERE "user_uuid" IS NOT NULL) m
      GROUP BY k HAVING sum(n) <> 0) g;
  END IF;
  IF deltas IS NOT NULL THEN PERFORM "activity_counts_add"('admin_activity_counts', 'subject', deltas); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "admin_activities_count_inserted" AFTER INSERT ON "admin_activities"
REFERENCING NEW TABLE AS "added" FOR EACH STATEMENT EXECUTE FUNCTION "admin_activities_count"();
--> statement-breakpoint
CREATE TRIGGER "admin_activities_count_deleted" AFTER DELETE ON "admin_activities"
REFERENCING OLD TABLE AS "removed" FOR EACH STATEMENT EXECUTE FUNCTION "admin_activities_count"();
--> statement-breakpoint
CREATE TRIGGER "admin_activities_count_updated" AFTER UPDATE ON "admin_activities"
REFERENCING OLD TABLE AS "removed" NEW TABLE AS "added" FOR EACH STATEMENT EXECUTE FUNCTION "admin_activities_count"();
