CREATE TABLE "user_security_key_challenges" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"challenge" varchar(128) NOT NULL,
	"user_uuids" uuid[],
	"expires" timestamp with time zone NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_security_keys" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"name" varchar(124) NOT NULL,
	"credential_id" varchar(1400),
	"public_key" text,
	"counter" bigint DEFAULT 0 NOT NULL,
	"transports" varchar(32)[] DEFAULT '{}'::varchar[] NOT NULL,
	"registration" jsonb,
	"last_used" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_security_keys" ADD CONSTRAINT "user_security_keys_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_security_key_challenges_expires_idx" ON "user_security_key_challenges" USING btree ("expires");--> statement-breakpoint
CREATE UNIQUE INDEX "user_security_keys_user_name_unique" ON "user_security_keys" USING btree ("user_uuid","name");--> statement-breakpoint
CREATE UNIQUE INDEX "user_security_keys_credential_id_unique" ON "user_security_keys" USING btree ("credential_id");