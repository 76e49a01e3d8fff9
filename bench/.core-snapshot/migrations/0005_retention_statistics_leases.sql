CREATE TABLE "pgq"."leases" (
	"service" text PRIMARY KEY NOT NULL,
	"holder" uuid NOT NULL,
	"expires" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pgq"."entrypoints" ADD COLUMN "retention" jsonb;--> statement-breakpoint
ALTER TABLE "pgq"."statistics" ADD COLUMN "run_ms_sum" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."statistics" ADD COLUMN "run_ms_max" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."statistics" ADD COLUMN "run_ms_histogram" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."statistics" ADD COLUMN "wait_ms_sum" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."statistics" ADD COLUMN "wait_ms_max" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "pgq"."statistics" ADD COLUMN "wait_ms_histogram" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
CREATE INDEX "log_status_created_idx" ON "pgq"."log" USING btree ("status","created");--> statement-breakpoint
ALTER TABLE "pgq"."log" DROP COLUMN "aggregated";--> statement-breakpoint
-- The jobs table is small and churns: every job is inserted, updated at least once and
-- deleted. Vacuum it after a fixed number of dead rows rather than a fraction of its size
-- (the default 20% waits for a backlog to go before cleaning it), and without cost delays
-- (the table is small, so a pass is short). Inserts trigger a vacuum too, which keeps the
-- visibility map current for the claim's index scans.
ALTER TABLE "pgq"."jobs" SET (
  autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
  autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000,
  autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000,
  autovacuum_vacuum_cost_delay = 0
);--> statement-breakpoint
-- The log only grows, then loses its oldest rows to retention in batches: vacuum after 5%
-- of it is dead, so the space comes back between prune runs.
ALTER TABLE "pgq"."log" SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05);
