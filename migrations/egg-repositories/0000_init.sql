CREATE TABLE "egg_repositories" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"git_repository" varchar(2048) NOT NULL,
	"credentials" jsonb DEFAULT '{"type":"none"}'::jsonb NOT NULL,
	"last_synced" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "egg_repository_eggs" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"egg_repository_uuid" uuid NOT NULL,
	"path" varchar(4096) NOT NULL,
	"name" varchar(255) NOT NULL,
	"readme" text,
	"exported_egg" json NOT NULL,
	"updated" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "egg_repository_eggs" ADD CONSTRAINT "egg_repository_eggs_egg_repository_uuid_egg_repositories_uuid_fk" FOREIGN KEY ("egg_repository_uuid") REFERENCES "public"."egg_repositories"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "egg_repositories_name_unique" ON "egg_repositories" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "egg_repositories_git_repository_unique" ON "egg_repositories" USING btree ("git_repository");--> statement-breakpoint
CREATE INDEX "egg_repositories_created_idx" ON "egg_repositories" USING btree ("created");--> statement-breakpoint
CREATE UNIQUE INDEX "egg_repository_eggs_repository_path_unique" ON "egg_repository_eggs" USING btree ("egg_repository_uuid","path");--> statement-breakpoint
CREATE INDEX "egg_repository_eggs_repository_name_idx" ON "egg_repository_eggs" USING btree ("egg_repository_uuid","name");--> statement-breakpoint
ALTER TABLE "nest_eggs" ADD CONSTRAINT "nest_eggs_egg_repository_egg_uuid_egg_repository_eggs_uuid_fk" FOREIGN KEY ("egg_repository_egg_uuid") REFERENCES "public"."egg_repository_eggs"("uuid") ON DELETE set null ON UPDATE no action;
