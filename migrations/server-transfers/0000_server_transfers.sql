CREATE TABLE "server_transfers" (
	"server_uuid" uuid PRIMARY KEY NOT NULL,
	"source_node_uuid" uuid NOT NULL,
	"destination_node_uuid" uuid NOT NULL,
	"started" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_transfers" ADD CONSTRAINT "server_transfers_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_transfers" ADD CONSTRAINT "server_transfers_source_node_uuid_nodes_uuid_fk" FOREIGN KEY ("source_node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_transfers" ADD CONSTRAINT "server_transfers_destination_node_uuid_nodes_uuid_fk" FOREIGN KEY ("destination_node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_transfers_started_idx" ON "server_transfers" USING btree ("started");--> statement-breakpoint
CREATE INDEX "server_transfers_source_node_uuid_idx" ON "server_transfers" USING btree ("source_node_uuid");--> statement-breakpoint
CREATE INDEX "server_transfers_destination_node_uuid_idx" ON "server_transfers" USING btree ("destination_node_uuid");