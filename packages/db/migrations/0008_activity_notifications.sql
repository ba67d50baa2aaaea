DROP INDEX "notifications_recipient_id_seq_key";--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "post_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_heads" ADD COLUMN "activity_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "type" text DEFAULT 'upload' NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "comment_id" bigint;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "group_key" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_comment_id_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_recipient_id_activity_seq_key" ON "notifications" USING btree ("recipient_id","seq") WHERE "notifications"."type" <> 'upload';--> statement-breakpoint
CREATE INDEX "notifications_recipient_type_post_idx" ON "notifications" USING btree ("recipient_id","type","post_id","id");--> statement-breakpoint
CREATE INDEX "notifications_comment_id_idx" ON "notifications" USING btree ("comment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_recipient_id_seq_key" ON "notifications" USING btree ("recipient_id","seq") WHERE "notifications"."type" = 'upload';--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_type_check" CHECK ("notifications"."type" in ('upload', 'follow', 'like', 'comment', 'mention'));--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_post_check" CHECK (("notifications"."type" = 'follow') = ("notifications"."post_id" is null));