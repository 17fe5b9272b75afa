CREATE TABLE "nest_egg_variables" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"egg_uuid" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"name_translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" varchar(1024),
	"description_translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"order" smallint DEFAULT 0 NOT NULL,
	"env_variable" varchar(255) NOT NULL,
	"default_value" text,
	"user_viewable" boolean NOT NULL,
	"user_editable" boolean NOT NULL,
	"secret" boolean DEFAULT false NOT NULL,
	"rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nest_eggs" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"nest_uuid" uuid NOT NULL,
	"egg_repository_egg_uuid" uuid,
	"author" varchar(255) NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"config_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"config_startup" jsonb NOT NULL,
	"config_stop" jsonb NOT NULL,
	"config_script" jsonb NOT NULL,
	"startup_commands" jsonb NOT NULL,
	"force_outgoing_ip" boolean DEFAULT false NOT NULL,
	"separate_port" boolean DEFAULT false NOT NULL,
	"features" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"docker_images" jsonb NOT NULL,
	"file_denylist" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nests" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"author" varchar(255) NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "nest_egg_variables" ADD CONSTRAINT "nest_egg_variables_egg_uuid_nest_eggs_uuid_fk" FOREIGN KEY ("egg_uuid") REFERENCES "public"."nest_eggs"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nest_eggs" ADD CONSTRAINT "nest_eggs_nest_uuid_nests_uuid_fk" FOREIGN KEY ("nest_uuid") REFERENCES "public"."nests"("uuid") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "nest_egg_variables_egg_uuid_env_variable_unique" ON "nest_egg_variables" USING btree ("egg_uuid","env_variable");--> statement-breakpoint
CREATE UNIQUE INDEX "nest_eggs_nest_uuid_name_unique" ON "nest_eggs" USING btree ("nest_uuid","name");--> statement-breakpoint
CREATE INDEX "nest_eggs_egg_repository_egg_uuid_idx" ON "nest_eggs" USING btree ("egg_repository_egg_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "nests_name_unique" ON "nests" USING btree ("name");