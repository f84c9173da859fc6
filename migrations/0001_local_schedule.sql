CREATE TABLE "local_schedules" (
	"name" text PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'ENABLED' NOT NULL,
	"expression" text NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
