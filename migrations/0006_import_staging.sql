CREATE TABLE "import_staged_products" (
	"import_id" integer NOT NULL,
	"ord" integer NOT NULL,
	"row_number" integer NOT NULL,
	"sku" text NOT NULL,
	"title" text,
	"fields" jsonb NOT NULL,
	"image_urls" text[],
	CONSTRAINT "import_staged_products_import_id_ord_pk" PRIMARY KEY("import_id","ord")
);
--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "merged_through" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_staged_products" ADD CONSTRAINT "import_staged_products_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE cascade ON UPDATE no action;