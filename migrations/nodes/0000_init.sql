CREATE TABLE "nodes" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"location_uuid" uuid NOT NULL,
	"backup_configuration_uuid" uuid,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"deployment_enabled" boolean DEFAULT true NOT NULL,
	"maintenance_enabled" boolean DEFAULT false NOT NULL,
	"public_url" varchar(255),
	"url" varchar(255) NOT NULL,
	"sftp_host" varchar(255),
	"sftp_port" integer NOT NULL,
	"memory" bigint NOT NULL,
	"disk" bigint NOT NULL,
	"token_id" varchar(16) NOT NULL,
	"token" text NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_location_uuid_locations_uuid_fk" FOREIGN KEY ("location_uuid") REFERENCES "public"."locations"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_backup_configuration_uuid_backup_configurations_uuid_fk" FOREIGN KEY ("backup_configuration_uuid") REFERENCES "public"."backup_configurations"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "nodes_name_unique" ON "nodes" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "nodes_token_id_unique" ON "nodes" USING btree ("token_id");--> statement-breakpoint
CREATE INDEX "nodes_location_uuid_idx" ON "nodes" USING btree ("location_uuid");--> statement-breakpoint
CREATE INDEX "nodes_backup_configuration_uuid_idx" ON "nodes" USING btree ("backup_configuration_uuid");