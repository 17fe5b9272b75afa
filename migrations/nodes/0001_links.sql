CREATE TABLE "node_database_hosts" (
	"node_uuid" uuid NOT NULL,
	"database_host_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "node_mounts" (
	"node_uuid" uuid NOT NULL,
	"mount_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "node_database_hosts" ADD CONSTRAINT "node_database_hosts_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_database_hosts" ADD CONSTRAINT "node_database_hosts_database_host_uuid_database_hosts_uuid_fk" FOREIGN KEY ("database_host_uuid") REFERENCES "public"."database_hosts"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_mounts" ADD CONSTRAINT "node_mounts_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_mounts" ADD CONSTRAINT "node_mounts_mount_uuid_mounts_uuid_fk" FOREIGN KEY ("mount_uuid") REFERENCES "public"."mounts"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "node_database_hosts_node_host_unique" ON "node_database_hosts" USING btree ("node_uuid","database_host_uuid");--> statement-breakpoint
CREATE INDEX "node_database_hosts_database_host_uuid_idx" ON "node_database_hosts" USING btree ("database_host_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "node_mounts_node_mount_unique" ON "node_mounts" USING btree ("node_uuid","mount_uuid");--> statement-breakpoint
CREATE INDEX "node_mounts_mount_uuid_idx" ON "node_mounts" USING btree ("mount_uuid");