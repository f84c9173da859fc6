CREATE TABLE "image_counts" (
	"scope" text NOT NULL,
	"scope_id" integer NOT NULL,
	"status" text NOT NULL,
	"kind" text NOT NULL,
	"shard" smallint NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "image_counts_scope_scope_id_status_kind_shard_pk" PRIMARY KEY("scope","scope_id","status","kind","shard")
);
--> statement-breakpoint
CREATE TABLE "product_counts" (
	"supplier_id" integer PRIMARY KEY NOT NULL,
	"n" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "product_counts" ADD CONSTRAINT "product_counts_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;