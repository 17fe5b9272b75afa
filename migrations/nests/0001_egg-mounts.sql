CREATE TABLE "nest_egg_mounts" (
	"egg_uuid" uuid NOT NULL,
	"mount_uuid" uuid NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "nest_egg_mounts" ADD CONSTRAINT "nest_egg_mounts_egg_uuid_nest_eggs_uuid_fk" FOREIGN KEY ("egg_uuid") REFERENCES "public"."nest_eggs"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nest_egg_mounts" ADD CONSTRAINT "nest_egg_mounts_mount_uuid_mounts_uuid_fk" FOREIGN KEY ("mount_uuid") REFERENCES "public"."mounts"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "nest_egg_mounts_egg_uuid_mount_uuid_unique" ON "nest_egg_mounts" USING btree ("egg_uuid","mount_uuid");--> statement-breakpoint
CREATE INDEX "nest_egg_mounts_mount_uuid_idx" ON "nest_egg_mounts" USING btree ("mount_uuid");