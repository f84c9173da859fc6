ALTER TABLE "image_sources" ADD COLUMN "variants" jsonb;--> statement-breakpoint
ALTER TABLE "image_sources" ADD COLUMN "placeholder" text;--> statement-breakpoint
CREATE INDEX "image_sources_variants_idx" ON "image_sources" USING gin ("variants" jsonb_path_ops);