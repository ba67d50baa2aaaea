DROP INDEX "follows_followee_id_idx";--> statement-breakpoint
DROP INDEX "follows_follower_id_idx";--> statement-breakpoint
DROP INDEX "notifications_recipient_id_id_idx";--> statement-breakpoint
DROP INDEX "posts_author_id_id_idx";--> statement-breakpoint
CREATE INDEX "follows_followee_id_idx" ON "follows" USING btree ("followee_id","id");--> statement-breakpoint
CREATE INDEX "follows_follower_id_idx" ON "follows" USING btree ("follower_id","id");--> statement-breakpoint
CREATE INDEX "notifications_recipient_id_id_idx" ON "notifications" USING btree ("recipient_id","id");--> statement-breakpoint
CREATE INDEX "posts_author_id_id_idx" ON "posts" USING btree ("author_id","id");