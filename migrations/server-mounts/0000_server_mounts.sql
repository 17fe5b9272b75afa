CREATE TABLE "server_mounts" (
	"server_uuid" uuid NOT NULL,
	"mount_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_mounts_pk" PRIMARY KEY("server_uuid","mount_uuid")
);
--> statement-breakpoint
ALTER TABLE "server_mounts" ADD CONSTRAINT "server_mounts_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_mounts" ADD CONSTRAINT "server_mounts_mount_uuid_mounts_uuid_fk" FOREIGN KEY ("mount_uuid") REFERENCES "public"."mounts"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_mounts_mount_uuid_idx" ON "server_mounts" USING btree ("mount_uuid");