DROP INDEX "products_sku_trgm_idx";--> statement-breakpoint
DROP INDEX "products_title_trgm_idx";--> statement-breakpoint
CREATE INDEX "products_search_trgm_idx" ON "products" USING gin (("sku" || ' ' || coalesce("title", '')) gin_trgm_ops);