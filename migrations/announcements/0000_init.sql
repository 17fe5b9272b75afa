CREATE TYPE "public"."announcement_type" AS ENUM('info', 'success', 'warning', 'error');--> statement-breakpoint
CREATE TABLE "announcements" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" "announcement_type" NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"enabled_start" timestamp with time zone,
	"enabled_end" timestamp with time zone,
	"dismissible" boolean DEFAULT false NOT NULL,
	"dismissible_end" timestamp with time zone,
	"title" varchar(1020) NOT NULL,
	"title_translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"content" text NOT NULL,
	"content_translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"locations" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"nodes" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"backup_configurations" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"eggs" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "announcements_created_idx" ON "announcements" USING btree ("created");--> statement-breakpoint
CREATE INDEX "announcements_enabled_idx" ON "announcements" USING btree ("enabled","created");