CREATE TABLE "pgq"."dedupe_windows" (
	"key" text PRIMARY KEY NOT NULL,
	"expires" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pgq"."job_dependencies" (
	"parent_id" bigint NOT NULL,
	"child_id" bigint NOT NULL,
	CONSTRAINT "job_dependencies_parent_id_child_id_pk" PRIMARY KEY("parent_id","child_id")
);
--> statement-breakpoint
DROP INDEX "pgq"."jobs_dedupe_key_idx";--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "progress" jsonb;--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "depends_on" bigint[];--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "waiting_for" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "has_dependents" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD COLUMN "on_parent_failure" text DEFAULT 'fail' NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."log" ADD COLUMN "result" jsonb;--> statement-breakpoint
CREATE INDEX "job_dependencies_child_idx" ON "pgq"."job_dependencies" USING btree ("child_id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_dedupe_key_idx" ON "pgq"."jobs" USING btree ("dedupe_key") WHERE status in ('queued', 'picked', 'blocked') and dedupe_key is not null;--> statement-breakpoint
ALTER TABLE "pgq"."jobs" ADD CONSTRAINT "jobs_on_parent_failure_check" CHECK (on_parent_failure in ('fail', 'cancel'));
