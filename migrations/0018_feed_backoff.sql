ALTER TABLE "suppliers" ADD COLUMN "feed_failures_in_row" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_retry_at" timestamp with time zone;