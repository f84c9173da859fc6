CREATE TABLE "fetch_host_slots" (
	"host" text NOT NULL,
	"slot" integer NOT NULL,
	"holder" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL,
	CONSTRAINT "fetch_host_slots_host_slot_pk" PRIMARY KEY("host","slot")
);
--> statement-breakpoint
CREATE TABLE "fetch_hosts" (
	"host" text PRIMARY KEY NOT NULL,
	"paused_until" timestamp with time zone,
	"pause_reason" text,
	"strikes" integer DEFAULT 0 NOT NULL,
	"next_start_at" timestamp with time zone,
	"refused_at" timestamp with time zone,
	"window_started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"window_requests" integer DEFAULT 0 NOT NULL,
	"previous_window_requests" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "image_sources" ADD COLUMN "downloads" integer DEFAULT 0 NOT NULL;