CREATE TABLE "image_sources" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source_url" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"error_kind" text,
	"last_error" text,
	"s3_key" text,
	"url" text,
	"width" integer,
	"height" integer,
	"bytes" integer,
	"content_hash" text,
	"source_etag" text,
	"source_last_modified" text,
	"checked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "rows_merged" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "product_images" ADD COLUMN "source_id" bigint;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "format" text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "image_base_url" text;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "settings_updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "image_sources_source_url_unique" ON "image_sources" USING btree ("source_url");--> statement-breakpoint
CREATE INDEX "image_sources_pending_idx" ON "image_sources" USING btree ("id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "image_sources_lease_idx" ON "image_sources" USING btree ("lease_until") WHERE status IN ('queued', 'processing');--> statement-breakpoint
CREATE INDEX "image_sources_checked_idx" ON "image_sources" USING btree ("checked_at") WHERE status = 'done';--> statement-breakpoint
CREATE INDEX "image_sources_failed_idx" ON "image_sources" USING btree ("error_kind") WHERE status = 'failed';--> statement-breakpoint
ALTER TABLE "product_images" ADD CONSTRAINT "product_images_source_id_image_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."image_sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Data move (hand-written): one source per distinct URL, keeping a done image's result where any
-- product had one. Work in flight is made pending again: messages sent before this migration name
-- product_images rows, which the new worker acknowledges without work (see src/queue/messages.ts).
INSERT INTO "image_sources" ("source_url", "status", "attempts", "error_kind", "last_error", "s3_key", "url", "width", "height",
                             "bytes", "content_hash", "source_etag", "checked_at", "created_at", "updated_at")
SELECT DISTINCT ON ("source_url")
       "source_url",
       CASE WHEN "status" IN ('queued', 'processing') THEN 'pending' ELSE "status" END,
       "attempts", "error_kind", "last_error", "s3_key", "url", "width", "height", "bytes", "content_hash", "source_etag",
       CASE WHEN "status" = 'done' THEN "updated_at" END, "created_at", "updated_at"
  FROM "product_images"
 ORDER BY "source_url", ("status" = 'done') DESC, "updated_at" DESC;--> statement-breakpoint
UPDATE "product_images" pi SET "source_id" = s."id" FROM "image_sources" s WHERE s."source_url" = pi."source_url";
