CREATE TABLE "server_backup_groups" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_uuid" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"retention_count" integer,
	"retention_days" integer,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_backups" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_uuid" uuid,
	"node_uuid" uuid NOT NULL,
	"backup_configuration_uuid" uuid,
	"backup_group_uuid" uuid,
	"system_backup_policy_uuid" uuid,
	"name" varchar(255) NOT NULL,
	"successful" boolean DEFAULT false NOT NULL,
	"browsable" boolean DEFAULT false NOT NULL,
	"streaming" boolean DEFAULT false NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"ignored_files" text[] DEFAULT '{}'::text[] NOT NULL,
	"checksum" varchar(255),
	"bytes" bigint DEFAULT 0 NOT NULL,
	"files" bigint DEFAULT 0 NOT NULL,
	"disk" varchar(32) NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"upload_id" text,
	"upload_path" text,
	"completed" timestamp with time zone,
	"deleting" timestamp with time zone,
	"deletion_retries" integer DEFAULT 0 NOT NULL,
	"deleted" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_backup_groups" ADD CONSTRAINT "server_backup_groups_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_backups" ADD CONSTRAINT "server_backups_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_backups" ADD CONSTRAINT "server_backups_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_backups" ADD CONSTRAINT "server_backups_backup_configuration_uuid_backup_configurations_uuid_fk" FOREIGN KEY ("backup_configuration_uuid") REFERENCES "public"."backup_configurations"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_backups" ADD CONSTRAINT "server_backups_backup_group_uuid_server_backup_groups_uuid_fk" FOREIGN KEY ("backup_group_uuid") REFERENCES "public"."server_backup_groups"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "server_backup_groups_server_uuid_name_unique" ON "server_backup_groups" USING btree ("server_uuid","name");--> statement-breakpoint
CREATE INDEX "server_backups_server_uuid_idx" ON "server_backups" USING btree ("server_uuid");--> statement-breakpoint
CREATE INDEX "server_backups_node_uuid_idx" ON "server_backups" USING btree ("node_uuid");--> statement-breakpoint
CREATE INDEX "server_backups_backup_configuration_uuid_idx" ON "server_backups" USING btree ("backup_configuration_uuid");--> statement-breakpoint
CREATE INDEX "server_backups_backup_group_uuid_idx" ON "server_backups" USING btree ("backup_group_uuid");--> statement-breakpoint
CREATE INDEX "server_backups_deleting_idx" ON "server_backups" USING btree ("deleting");