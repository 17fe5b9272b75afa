CREATE TABLE "egg_configuration_eggs" (
	"egg_configuration_uuid" uuid NOT NULL,
	"egg_uuid" uuid NOT NULL,
	"position" smallint NOT NULL,
	CONSTRAINT "egg_configuration_eggs_egg_configuration_uuid_egg_uuid_pk" PRIMARY KEY("egg_configuration_uuid","egg_uuid")
);
--> statement-breakpoint
CREATE TABLE "egg_configurations" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"order" smallint DEFAULT 0 NOT NULL,
	"config_allocations" jsonb,
	"config_startup" jsonb,
	"config_routes" jsonb,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "egg_configuration_eggs" ADD CONSTRAINT "egg_configuration_eggs_egg_configuration_uuid_egg_configurations_uuid_fk" FOREIGN KEY ("egg_configuration_uuid") REFERENCES "public"."egg_configurations"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egg_configuration_eggs" ADD CONSTRAINT "egg_configuration_eggs_egg_uuid_nest_eggs_uuid_fk" FOREIGN KEY ("egg_uuid") REFERENCES "public"."nest_eggs"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "egg_configuration_eggs_egg_uuid_idx" ON "egg_configuration_eggs" USING btree ("egg_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "egg_configurations_name_unique" ON "egg_configurations" USING btree ("name");--> statement-breakpoint
CREATE INDEX "egg_configurations_order_created_idx" ON "egg_configurations" USING btree ("order","created");