CREATE TABLE "server_activities" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"server_uuid" uuid NOT NULL,
	"user_uuid" uuid,
	"impersonator_uuid" uuid,
	"api_key_uuid" uuid,
	"schedule_uuid" uuid,
	"event" varchar(255) NOT NULL,
	"ip" "inet",
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_activities" ADD CONSTRAINT "server_activities_server_uuid_servers_uuid_fk" FOREIGN KEY ("server_uuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_activities" ADD CONSTRAINT "server_activities_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_activities" ADD CONSTRAINT "server_activities_impersonator_uuid_users_uuid_fk" FOREIGN KEY ("impersonator_uuid") REFERENCES "public"."users"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_activities" ADD CONSTRAINT "server_activities_api_key_uuid_user_api_keys_uuid_fk" FOREIGN KEY ("api_key_uuid") REFERENCES "public"."user_api_keys"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_activities_server_created_id_idx" ON "server_activities" USING btree ("server_uuid","created","id");--> statement-breakpoint
CREATE INDEX "server_activities_created_idx" ON "server_activities" USING btree ("created");--> statement-breakpoint
CREATE INDEX "server_activities_user_uuid_idx" ON "server_activities" USING btree ("user_uuid");