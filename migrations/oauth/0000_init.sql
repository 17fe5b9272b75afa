CREATE TABLE "oauth_provider_mappings" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"oauth_provider_uuid" uuid NOT NULL,
	"matcher" jsonb NOT NULL,
	"mapping" jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oauth_providers" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"client_id" varchar(255) NOT NULL,
	"client_secret" text NOT NULL,
	"auth_url" varchar(255) NOT NULL,
	"token_url" varchar(255) NOT NULL,
	"info_url" varchar(255) NOT NULL,
	"scopes" varchar(255)[] DEFAULT '{}'::varchar[] NOT NULL,
	"identifier_path" varchar(255) NOT NULL,
	"email_path" varchar(255),
	"username_path" varchar(255),
	"name_first_path" varchar(255),
	"name_last_path" varchar(255),
	"enabled" boolean DEFAULT false NOT NULL,
	"login_only" boolean DEFAULT false NOT NULL,
	"login_bypass_2fa" boolean DEFAULT true NOT NULL,
	"link_viewable" boolean DEFAULT false NOT NULL,
	"user_manageable" boolean DEFAULT false NOT NULL,
	"basic_auth" boolean DEFAULT false NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oauth_states" (
	"state_hash" varchar(64) PRIMARY KEY NOT NULL,
	"browser_hash" varchar(64) NOT NULL,
	"oauth_provider_uuid" uuid NOT NULL,
	"code_verifier" text NOT NULL,
	"nonce" varchar(64),
	"expires" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_oauth_links" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"oauth_provider_uuid" uuid NOT NULL,
	"identifier" varchar(255) NOT NULL,
	"last_used" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "oauth_provider_mappings" ADD CONSTRAINT "oauth_provider_mappings_oauth_provider_uuid_oauth_providers_uuid_fk" FOREIGN KEY ("oauth_provider_uuid") REFERENCES "public"."oauth_providers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_oauth_provider_uuid_oauth_providers_uuid_fk" FOREIGN KEY ("oauth_provider_uuid") REFERENCES "public"."oauth_providers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_oauth_links" ADD CONSTRAINT "user_oauth_links_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_oauth_links" ADD CONSTRAINT "user_oauth_links_oauth_provider_uuid_oauth_providers_uuid_fk" FOREIGN KEY ("oauth_provider_uuid") REFERENCES "public"."oauth_providers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "oauth_provider_mappings_provider_idx" ON "oauth_provider_mappings" USING btree ("oauth_provider_uuid","created");--> statement-breakpoint
CREATE UNIQUE INDEX "oauth_providers_name_unique" ON "oauth_providers" USING btree ("name");--> statement-breakpoint
CREATE INDEX "oauth_providers_created_idx" ON "oauth_providers" USING btree ("created");--> statement-breakpoint
CREATE INDEX "oauth_states_expires_idx" ON "oauth_states" USING btree ("expires");--> statement-breakpoint
CREATE UNIQUE INDEX "user_oauth_links_user_provider_unique" ON "user_oauth_links" USING btree ("user_uuid","oauth_provider_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "user_oauth_links_provider_identifier_unique" ON "user_oauth_links" USING btree ("oauth_provider_uuid","identifier");