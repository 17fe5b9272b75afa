CREATE TABLE "backup_configurations" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"maintenance_enabled" boolean DEFAULT false NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"backup_disk" varchar(32) DEFAULT 'local' NOT NULL,
	"backup_configs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "backup_configurations_name_unique" ON "backup_configurations" USING btree ("name");