CREATE TABLE "server_databases" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_uuid" uuid NOT NULL,
	"database_host_uuid" uuid NOT NULL,
	"name" varchar(64) NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"username" varchar(32) NOT NULL,
	"password" text NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_databases" ADD CONSTRAINT "server_databases_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_databases" ADD CONSTRAINT "server_databases_database_host_uuid_database_hosts_uuid_fk" FOREIGN KEY ("database_host_uuid") REFERENCES "public"."database_hosts"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "server_databases_host_name_unique" ON "server_databases" USING btree ("database_host_uuid","name");--> statement-breakpoint
CREATE INDEX "server_databases_server_idx" ON "server_databases" USING btree ("server_uuid","created");