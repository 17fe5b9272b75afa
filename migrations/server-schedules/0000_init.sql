CREATE TABLE "server_schedule_steps" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"schedule_uuid" uuid NOT NULL,
	"action" jsonb NOT NULL,
	"order" smallint NOT NULL,
	"error" text,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_schedules" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_uuid" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"enabled" boolean NOT NULL,
	"triggers" jsonb NOT NULL,
	"condition" jsonb NOT NULL,
	"last_run" timestamp with time zone,
	"last_failure" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_schedule_steps" ADD CONSTRAINT "server_schedule_steps_schedule_uuid_server_schedules_uuid_fk" FOREIGN KEY ("schedule_uuid") REFERENCES "public"."server_schedules"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_schedules" ADD CONSTRAINT "server_schedules_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_schedule_steps_schedule_order_idx" ON "server_schedule_steps" USING btree ("schedule_uuid","order","created");--> statement-breakpoint
CREATE UNIQUE INDEX "server_schedules_server_uuid_name_unique" ON "server_schedules" USING btree ("server_uuid","name");--> statement-breakpoint
CREATE INDEX "server_schedules_server_uuid_created_idx" ON "server_schedules" USING btree ("server_uuid","created","uuid");