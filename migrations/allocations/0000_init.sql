CREATE TABLE "node_allocations" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"node_uuid" uuid NOT NULL,
	"ip" "inet" NOT NULL,
	"ip_alias" varchar(255),
	"port" integer NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "node_allocations_port_range" CHECK ("node_allocations"."port" between 1 and 65535)
);
--> statement-breakpoint
ALTER TABLE "node_allocations" ADD CONSTRAINT "node_allocations_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "node_allocations_node_host_port_unique" ON "node_allocations" USING btree ("node_uuid",host("ip"),"port");--> statement-breakpoint
CREATE INDEX "node_allocations_node_ip_port_idx" ON "node_allocations" USING btree ("node_uuid","ip","port");