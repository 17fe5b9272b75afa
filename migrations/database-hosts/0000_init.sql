CREATE TABLE "database_hosts" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"type" varchar(16) NOT NULL,
	"deployment_enabled" boolean DEFAULT false NOT NULL,
	"maintenance_enabled" boolean DEFAULT false NOT NULL,
	"public_host" varchar(255),
	"public_port" integer,
	"credentials" jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "database_hosts_name_unique" ON "database_hosts" USING btree ("name");--> statement-breakpoint
CREATE INDEX "database_hosts_created_idx" ON "database_hosts" USING btree ("created");