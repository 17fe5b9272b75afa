CREATE TABLE "system_backup_policies" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"backup_configuration_uuid" uuid,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"enabled" boolean NOT NULL,
	"cron" varchar(255) NOT NULL,
	"retention_count" integer,
	"retention_days" integer,
	"parallelism" integer NOT NULL,
	"triggered" timestamp with time zone,
	"last_slot" timestamp with time zone DEFAULT now() NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "system_backup_policy_backups" (
	"policy_uuid" uuid NOT NULL,
	"backup_uuid" uuid PRIMARY KEY NOT NULL,
	"server_uuid" uuid NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "system_backup_policy_locations" (
	"policy_uuid" uuid NOT NULL,
	"location_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "system_backup_policy_locations_pk" PRIMARY KEY("policy_uuid","location_uuid")
);
--> statement-breakpoint
CREATE TABLE "system_backup_policy_nodes" (
	"policy_uuid" uuid NOT NULL,
	"node_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "system_backup_policy_nodes_pk" PRIMARY KEY("policy_uuid","node_uuid")
);
--> statement-breakpoint
CREATE TABLE "system_backup_policy_servers" (
	"policy_uuid" uuid NOT NULL,
	"server_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "system_backup_policy_servers_pk" PRIMARY KEY("policy_uuid","server_uuid")
);
--> statement-breakpoint
ALTER TABLE "system_backup_policies" ADD CONSTRAINT "system_backup_policies_backup_configuration_uuid_backup_configurations_uuid_fk" FOREIGN KEY ("backup_configuration_uuid") REFERENCES "public"."backup_configurations"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_backups" ADD CONSTRAINT "system_backup_policy_backups_policy_uuid_system_backup_policies_uuid_fk" FOREIGN KEY ("policy_uuid") REFERENCES "public"."system_backup_policies"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_backups" ADD CONSTRAINT "system_backup_policy_backups_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_locations" ADD CONSTRAINT "system_backup_policy_locations_policy_uuid_system_backup_policies_uuid_fk" FOREIGN KEY ("policy_uuid") REFERENCES "public"."system_backup_policies"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_locations" ADD CONSTRAINT "system_backup_policy_locations_location_uuid_locations_uuid_fk" FOREIGN KEY ("location_uuid") REFERENCES "public"."locations"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_nodes" ADD CONSTRAINT "system_backup_policy_nodes_policy_uuid_system_backup_policies_uuid_fk" FOREIGN KEY ("policy_uuid") REFERENCES "public"."system_backup_policies"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_nodes" ADD CONSTRAINT "system_backup_policy_nodes_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_servers" ADD CONSTRAINT "system_backup_policy_servers_policy_uuid_system_backup_policies_uuid_fk" FOREIGN KEY ("policy_uuid") REFERENCES "public"."system_backup_policies"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_backup_policy_servers" ADD CONSTRAINT "system_backup_policy_servers_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "system_backup_policies_name_unique" ON "system_backup_policies" USING btree ("name");--> statement-breakpoint
CREATE INDEX "system_backup_policies_backup_configuration_uuid_idx" ON "system_backup_policies" USING btree ("backup_configuration_uuid");--> statement-breakpoint
CREATE INDEX "system_backup_policy_backups_policy_server_idx" ON "system_backup_policy_backups" USING btree ("policy_uuid","server_uuid","slot");--> statement-breakpoint
CREATE INDEX "system_backup_policy_backups_server_uuid_idx" ON "system_backup_policy_backups" USING btree ("server_uuid");--> statement-breakpoint
CREATE INDEX "system_backup_policy_locations_location_uuid_idx" ON "system_backup_policy_locations" USING btree ("location_uuid");--> statement-breakpoint
CREATE INDEX "system_backup_policy_nodes_node_uuid_idx" ON "system_backup_policy_nodes" USING btree ("node_uuid");--> statement-breakpoint
CREATE INDEX "system_backup_policy_servers_server_uuid_idx" ON "system_backup_policy_servers" USING btree ("server_uuid");