-- The products view's search (SKU or title, anywhere in the text) uses trigram indexes. pg_trgm ships
-- with PostgreSQL and is a trusted extension (PostgreSQL 13+, RDS and Aurora included): a database
-- owner can create it. PGlite loads it from its contrib bundle (src/local/postgres.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
ALTER TABLE "image_sources" ADD COLUMN "original_width" integer;--> statement-breakpoint
ALTER TABLE "image_sources" ADD COLUMN "original_height" integer;--> statement-breakpoint
ALTER TABLE "image_sources" ADD COLUMN "original_bytes" integer;--> statement-breakpoint
CREATE INDEX "products_sku_trgm_idx" ON "products" USING gin ("sku" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "products_title_trgm_idx" ON "products" USING gin ("title" gin_trgm_ops);