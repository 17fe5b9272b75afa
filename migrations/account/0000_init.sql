CREATE TABLE "user_command_snippets" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"name" varchar(124) NOT NULL,
	"eggs" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"command" text NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_server_groups" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"name" varchar(124) NOT NULL,
	"order" smallint DEFAULT 0 NOT NULL,
	"server_order" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_ssh_keys" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"name" varchar(124) NOT NULL,
	"fingerprint" char(50) NOT NULL,
	"public_key" "bytea" NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_command_snippets" ADD CONSTRAINT "user_command_snippets_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_server_groups" ADD CONSTRAINT "user_server_groups_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_ssh_keys" ADD CONSTRAINT "user_ssh_keys_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "user_command_snippets_user_name_unique" ON "user_command_snippets" USING btree ("user_uuid","name");--> statement-breakpoint
CREATE INDEX "user_command_snippets_eggs_idx" ON "user_command_snippets" USING gin ("eggs");--> statement-breakpoint
CREATE INDEX "user_server_groups_user_uuid_idx" ON "user_server_groups" USING btree ("user_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "user_ssh_keys_user_name_unique" ON "user_ssh_keys" USING btree ("user_uuid","name");--> statement-breakpoint
CREATE UNIQUE INDEX "user_ssh_keys_user_fingerprint_unique" ON "user_ssh_keys" USING btree ("user_uuid","fingerprint");