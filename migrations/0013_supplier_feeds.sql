CREATE TABLE "feed_fetches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"supplier_id" integer NOT NULL,
	"url" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer,
	"bytes" bigint,
	"import_id" integer,
	"error_kind" text,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_url" text;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_interval_seconds" integer;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_headers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_etag" text;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_last_modified" text;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_content_hash" text;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_fetched_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "feed_fetches" ADD CONSTRAINT "feed_fetches_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feed_fetches" ADD CONSTRAINT "feed_fetches_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "feed_fetches_supplier_idx" ON "feed_fetches" USING btree ("supplier_id","id");