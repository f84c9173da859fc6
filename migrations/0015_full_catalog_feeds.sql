ALTER TABLE "imports" ADD COLUMN "full_catalog" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "products_discontinued" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "discontinued_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "discontinued_by_import_id" integer;--> statement-breakpoint
ALTER TABLE "suppliers" ADD COLUMN "feed_full_catalog" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_discontinued_by_import_id_imports_id_fk" FOREIGN KEY ("discontinued_by_import_id") REFERENCES "public"."imports"("id") ON DELETE no action ON UPDATE no action;