CREATE TABLE "mounts" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"source" varchar(255) NOT NULL,
	"target" varchar(255) NOT NULL,
	"read_only" boolean DEFAULT false NOT NULL,
	"user_mountable" boolean DEFAULT false NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "mounts_name_unique" ON "mounts" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "mounts_source_target_unique" ON "mounts" USING btree ("source","target");