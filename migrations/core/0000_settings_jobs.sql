CREATE TABLE IF NOT EXISTS "settings" (
	"key" varchar(255) PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated" timestamptz DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "hatchery_jobs" (
	"name" varchar(255) PRIMARY KEY NOT NULL,
	"slot" timestamptz NOT NULL,
	"started" timestamptz,
	"finished" timestamptz,
	"last_error" text
);
