CREATE TABLE "pgq"."rate_limits" (
	"entrypoint" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"refreshed_at" timestamp with time zone DEFAULT now() NOT NULL
);
