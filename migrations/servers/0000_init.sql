CREATE TYPE "public"."server_auto_start_behavior" AS ENUM('always', 'unless_stopped', 'never');--> statement-breakpoint
CREATE TYPE "public"."server_status" AS ENUM('installing', 'install_failed', 'restoring_backup', 'backup_restore_failed');--> statement-breakpoint
CREATE TABLE "server_allocations" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_uuid" uuid NOT NULL,
	"allocation_uuid" uuid NOT NULL,
	"notes" varchar(1024),
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_variables" (
	"server_uuid" uuid NOT NULL,
	"variable_uuid" uuid NOT NULL,
	"value" text NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_variables_pk" PRIMARY KEY("server_uuid","variable_uuid")
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"uuid_short" integer NOT NULL,
	"external_id" varchar(255),
	"allocation_uuid" uuid,
	"destination_allocation_uuid" uuid,
	"node_uuid" uuid NOT NULL,
	"destination_node_uuid" uuid,
	"owner_uuid" uuid NOT NULL,
	"egg_uuid" uuid NOT NULL,
	"backup_configuration_uuid" uuid,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"status" "server_status",
	"suspended" boolean DEFAULT false NOT NULL,
	"memory" bigint NOT NULL,
	"memory_overhead" bigint DEFAULT 0 NOT NULL,
	"swap" bigint NOT NULL,
	"disk" bigint NOT NULL,
	"io_weight" smallint,
	"cpu" integer NOT NULL,
	"pinned_cpus" smallint[] DEFAULT '{}'::smallint[] NOT NULL,
	"startup" text NOT NULL,
	"image" varchar(255) NOT NULL,
	"auto_kill" jsonb DEFAULT '{"enabled":false,"seconds":30}'::jsonb NOT NULL,
	"auto_start_behavior" "server_auto_start_behavior" DEFAULT 'unless_stopped' NOT NULL,
	"timezone" varchar(255),
	"hugepages_passthrough_enabled" boolean DEFAULT false NOT NULL,
	"kvm_passthrough_enabled" boolean DEFAULT false NOT NULL,
	"allocation_limit" integer DEFAULT 0 NOT NULL,
	"database_limit" integer DEFAULT 0 NOT NULL,
	"backup_limit" integer DEFAULT 0 NOT NULL,
	"schedule_limit" integer DEFAULT 0 NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "servers_limits_range" CHECK ("servers"."memory" >= 0 and "servers"."memory_overhead" >= 0 and "servers"."swap" >= -1 and "servers"."disk" >= 0 and "servers"."cpu" >= 0),
	CONSTRAINT "servers_io_weight_range" CHECK ("servers"."io_weight" between 0 and 1000),
	CONSTRAINT "servers_feature_limits_range" CHECK ("servers"."allocation_limit" >= 0 and "servers"."database_limit" >= 0 and "servers"."backup_limit" >= 0 and "servers"."schedule_limit" >= 0)
);
--> statement-breakpoint
ALTER TABLE "server_allocations" ADD CONSTRAINT "server_allocations_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_allocations" ADD CONSTRAINT "server_allocations_allocation_uuid_node_allocations_uuid_fk" FOREIGN KEY ("allocation_uuid") REFERENCES "public"."node_allocations"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_variables" ADD CONSTRAINT "server_variables_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_variables" ADD CONSTRAINT "server_variables_variable_uuid_nest_egg_variables_uuid_fk" FOREIGN KEY ("variable_uuid") REFERENCES "public"."nest_egg_variables"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_allocation_uuid_server_allocations_uuid_fk" FOREIGN KEY ("allocation_uuid") REFERENCES "public"."server_allocations"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_destination_allocation_uuid_server_allocations_uuid_fk" FOREIGN KEY ("destination_allocation_uuid") REFERENCES "public"."server_allocations"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_destination_node_uuid_nodes_uuid_fk" FOREIGN KEY ("destination_node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_owner_uuid_users_uuid_fk" FOREIGN KEY ("owner_uuid") REFERENCES "public"."users"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_egg_uuid_nest_eggs_uuid_fk" FOREIGN KEY ("egg_uuid") REFERENCES "public"."nest_eggs"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_backup_configuration_uuid_backup_configurations_uuid_fk" FOREIGN KEY ("backup_configuration_uuid") REFERENCES "public"."backup_configurations"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "server_allocations_allocation_uuid_unique" ON "server_allocations" USING btree ("allocation_uuid");--> statement-breakpoint
CREATE INDEX "server_allocations_server_uuid_idx" ON "server_allocations" USING btree ("server_uuid");--> statement-breakpoint
CREATE INDEX "server_variables_variable_uuid_idx" ON "server_variables" USING btree ("variable_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_uuid_short_unique" ON "servers" USING btree ("uuid_short");--> statement-breakpoint
CREATE INDEX "servers_external_id_idx" ON "servers" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "servers_allocation_uuid_idx" ON "servers" USING btree ("allocation_uuid");--> statement-breakpoint
CREATE INDEX "servers_node_uuid_idx" ON "servers" USING btree ("node_uuid");--> statement-breakpoint
CREATE INDEX "servers_destination_node_uuid_idx" ON "servers" USING btree ("destination_node_uuid");--> statement-breakpoint
CREATE INDEX "servers_owner_uuid_idx" ON "servers" USING btree ("owner_uuid");--> statement-breakpoint
CREATE INDEX "servers_egg_uuid_idx" ON "servers" USING btree ("egg_uuid");--> statement-breakpoint
CREATE INDEX "servers_backup_configuration_uuid_idx" ON "servers" USING btree ("backup_configuration_uuid");--> statement-breakpoint
CREATE INDEX "servers_created_uuid_idx" ON "servers" USING btree ("created","uuid");