CREATE TYPE "pgq"."failure_action" AS ENUM('hold', 'delete');--> statement-breakpoint
CREATE TABLE "pgq"."entrypoints" (
	"name" text PRIMARY KEY NOT NULL,
	"concurrency_limit" integer DEFAULT 0 NOT NULL,
	"requests_per_second" double precision DEFAULT 0 NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"max_attempts" integer,
	"on_exhausted" "pgq"."failure_action",
	"updated" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "entrypoints_policy_check" CHECK (concurrency_limit >= 0 and requests_per_second >= 0 and requests_per_second < 'Infinity' and (max_attempts is null or max_attempts >= 1))
);
--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "max_attempts" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "on_exhausted" "pgq"."failure_action" DEFAULT 'hold' NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "rescues" integer DEFAULT 0 NOT NULL;