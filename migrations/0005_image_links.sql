DROP INDEX "product_images_status_idx";--> statement-breakpoint
DROP INDEX "product_images_import_status_idx";--> statement-breakpoint
ALTER TABLE "product_images" ALTER COLUMN "source_id" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "product_images_source_idx" ON "product_images" USING btree ("source_id");--> statement-breakpoint
CREATE INDEX "product_images_import_idx" ON "product_images" USING btree ("import_id");--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "source_url";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "status";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "attempts";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "lease_until";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "error_kind";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "last_error";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "s3_key";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "url";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "width";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "height";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "bytes";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "content_hash";--> statement-breakpoint
ALTER TABLE "product_images" DROP COLUMN "source_etag";