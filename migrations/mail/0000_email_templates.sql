CREATE TABLE "email_templates" (
	"identifier" varchar(255) PRIMARY KEY NOT NULL,
	"subject" text,
	"content" text,
	"enabled" boolean,
	"updated" timestamp with time zone DEFAULT now() NOT NULL
);
