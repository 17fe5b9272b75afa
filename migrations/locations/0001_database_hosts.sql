CREATE TABLE "location_database_hosts" (
	"location_uuid" uuid NOT NULL,
	"database_host_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "location_database_hosts_pk" PRIMARY KEY("location_uuid","database_host_uuid")
);
--> statement-breakpoint
ALTER TABLE "location_database_hosts" ADD CONSTRAINT "location_database_hosts_location_uuid_locations_uuid_fk" FOREIGN KEY ("location_uuid") REFERENCES "public"."locations"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "location_database_hosts" ADD CONSTRAINT "location_database_hosts_database_host_uuid_database_hosts_uuid_fk" FOREIGN KEY ("database_host_uuid") REFERENCES "public"."database_hosts"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "location_database_hosts_database_host_uuid_idx" ON "location_database_hosts" USING btree ("database_host_uuid");