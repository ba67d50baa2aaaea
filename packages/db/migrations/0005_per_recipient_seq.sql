CREATE TABLE "notification_heads" (
	"recipient_id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL
);
--> statement-breakpoint
DROP INDEX "notifications_recipient_id_created_at_idx";--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "seq" bigint;--> statement-breakpoint
-- Existing rows are numbered per recipient in id order (hand-written: drizzle-kit adds a NOT NULL column to a filled table as is).
UPDATE "notifications" SET "seq" = "numbered"."seq" FROM (SELECT "id", row_number() OVER (PARTITION BY "recipient_id" ORDER BY "id") AS "seq" FROM "notifications") AS "numbered" WHERE "notifications"."id" = "numbered"."id";--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
INSERT INTO "notification_heads" ("recipient_id", "seq") SELECT "recipient_id", max("seq") FROM "notifications" GROUP BY "recipient_id";--> statement-breakpoint
ALTER TABLE "notification_heads" ADD CONSTRAINT "notification_heads_recipient_id_users_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_recipient_id_seq_key" ON "notifications" USING btree ("recipient_id","seq");
