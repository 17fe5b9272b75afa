CREATE TABLE "admin_activities" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_uuid" uuid,
	"impersonator_uuid" uuid,
	"api_key_uuid" uuid,
	"event" varchar(255) NOT NULL,
	"ip" "inet",
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" text,
	"require_two_factor" boolean DEFAULT false NOT NULL,
	"admin_permissions" varchar(64)[] DEFAULT '{}'::varchar[] NOT NULL,
	"server_permissions" varchar(64)[] DEFAULT '{}'::varchar[] NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "roles_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "user_activities" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_uuid" uuid NOT NULL,
	"impersonator_uuid" uuid,
	"api_key_uuid" uuid,
	"event" varchar(255) NOT NULL,
	"ip" "inet",
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_api_keys" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"name" varchar(124) NOT NULL,
	"key_start" char(16) NOT NULL,
	"key_hash" char(64) NOT NULL,
	"allowed_ips" varchar(64)[] DEFAULT '{}'::varchar[] NOT NULL,
	"user_permissions" varchar(64)[] DEFAULT '{}'::varchar[] NOT NULL,
	"admin_permissions" varchar(64)[] DEFAULT '{}'::varchar[] NOT NULL,
	"server_permissions" varchar(64)[] DEFAULT '{}'::varchar[] NOT NULL,
	"last_used" timestamp with time zone,
	"expires" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_login_checkpoints" (
	"token_hash" char(64) PRIMARY KEY NOT NULL,
	"user_uuid" uuid NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"expires" timestamp with time zone NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_password_resets" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"token_start" char(16) NOT NULL,
	"token_hash" char(64) NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_recovery_codes" (
	"user_uuid" uuid NOT NULL,
	"code_hash" char(64) NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_recovery_codes_user_uuid_code_hash_pk" PRIMARY KEY("user_uuid","code_hash")
);
--> statement-breakpoint
CREATE TABLE "user_sessions" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"key_id" char(16) NOT NULL,
	"key_hash" char(64) NOT NULL,
	"ip" "inet" NOT NULL,
	"user_agent" varchar(255) NOT NULL,
	"last_used" timestamp with time zone DEFAULT now() NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"role_uuid" uuid,
	"external_id" varchar(255),
	"avatar" varchar(255),
	"username" varchar(60) NOT NULL,
	"email" varchar(255) NOT NULL,
	"name_first" varchar(255) NOT NULL,
	"name_last" varchar(255) NOT NULL,
	"password" text,
	"admin" boolean DEFAULT false NOT NULL,
	"frozen" boolean DEFAULT false NOT NULL,
	"suspended" boolean DEFAULT false NOT NULL,
	"totp_enabled" boolean DEFAULT false NOT NULL,
	"totp_last_used" timestamp with time zone,
	"totp_secret" text,
	"language" varchar(15) DEFAULT 'en' NOT NULL,
	"toast_position" varchar(15) DEFAULT 'bottom_right' NOT NULL,
	"start_on_grouped_servers" boolean DEFAULT false NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_external_id_unique" UNIQUE("external_id")
);
--> statement-breakpoint
ALTER TABLE "admin_activities" ADD CONSTRAINT "admin_activities_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_activities" ADD CONSTRAINT "admin_activities_impersonator_uuid_users_uuid_fk" FOREIGN KEY ("impersonator_uuid") REFERENCES "public"."users"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin_activities" ADD CONSTRAINT "admin_activities_api_key_uuid_user_api_keys_uuid_fk" FOREIGN KEY ("api_key_uuid") REFERENCES "public"."user_api_keys"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_activities" ADD CONSTRAINT "user_activities_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_activities" ADD CONSTRAINT "user_activities_impersonator_uuid_users_uuid_fk" FOREIGN KEY ("impersonator_uuid") REFERENCES "public"."users"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_activities" ADD CONSTRAINT "user_activities_api_key_uuid_user_api_keys_uuid_fk" FOREIGN KEY ("api_key_uuid") REFERENCES "public"."user_api_keys"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_api_keys" ADD CONSTRAINT "user_api_keys_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_login_checkpoints" ADD CONSTRAINT "user_login_checkpoints_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_password_resets" ADD CONSTRAINT "user_password_resets_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_recovery_codes" ADD CONSTRAINT "user_recovery_codes_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_sessions" ADD CONSTRAINT "user_sessions_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_role_uuid_roles_uuid_fk" FOREIGN KEY ("role_uuid") REFERENCES "public"."roles"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "admin_activities_created_idx" ON "admin_activities" USING btree ("created");--> statement-breakpoint
CREATE INDEX "admin_activities_user_idx" ON "admin_activities" USING btree ("user_uuid");--> statement-breakpoint
CREATE INDEX "user_activities_user_created_idx" ON "user_activities" USING btree ("user_uuid","created");--> statement-breakpoint
CREATE INDEX "user_activities_created_idx" ON "user_activities" USING btree ("created");--> statement-breakpoint
CREATE UNIQUE INDEX "user_api_keys_user_name_unique" ON "user_api_keys" USING btree ("user_uuid","name");--> statement-breakpoint
CREATE UNIQUE INDEX "user_api_keys_key_start_unique" ON "user_api_keys" USING btree ("key_start");--> statement-breakpoint
CREATE INDEX "user_api_keys_expires_idx" ON "user_api_keys" USING btree ("expires");--> statement-breakpoint
CREATE INDEX "user_login_checkpoints_expires_idx" ON "user_login_checkpoints" USING btree ("expires");--> statement-breakpoint
CREATE INDEX "user_password_resets_token_start_idx" ON "user_password_resets" USING btree ("token_start");--> statement-breakpoint
CREATE INDEX "user_password_resets_user_uuid_idx" ON "user_password_resets" USING btree ("user_uuid");--> statement-breakpoint
CREATE INDEX "user_sessions_user_uuid_idx" ON "user_sessions" USING btree ("user_uuid");--> statement-breakpoint
CREATE INDEX "user_sessions_key_id_idx" ON "user_sessions" USING btree ("key_id");--> statement-breakpoint
CREATE INDEX "user_sessions_last_used_idx" ON "user_sessions" USING btree ("last_used");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_lower_unique" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_unique" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_role_uuid_idx" ON "users" USING btree ("role_uuid");