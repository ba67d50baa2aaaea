CREATE TABLE "notification_groups" (
	"recipient_id" text NOT NULL,
	"group_key" text NOT NULL,
	"latest_id" bigint NOT NULL,
	"count" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	CONSTRAINT "notification_groups_recipient_id_group_key_pk" PRIMARY KEY("recipient_id","group_key")
);
--> statement-breakpoint
ALTER TABLE "notification_groups" ADD CONSTRAINT "notification_groups_recipient_id_users_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notification_groups_recipient_latest_idx" ON "notification_groups" USING btree ("recipient_id","latest_id");--> statement-breakpoint
CREATE INDEX "notifications_recipient_group_unread_idx" ON "notifications" USING btree ("recipient_id","group_key") WHERE "notifications"."read_at" is null and "notifications"."group_key" is not null;--> statement-breakpoint
CREATE INDEX "notifications_recipient_alone_idx" ON "notifications" USING btree ("recipient_id","id") WHERE "notifications"."group_key" is null;--> statement-breakpoint
INSERT INTO "notification_groups" ("recipient_id", "group_key", "latest_id", "count", "started_at")
SELECT "recipient_id", "group_key", max("id"), count(*), min("created_at") FROM "notifications"
WHERE "group_key" IS NOT NULL GROUP BY 1, 2;--> statement-breakpoint
CREATE FUNCTION "notification_groups_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_groups (recipient_id, group_key, latest_id, count, started_at)
  SELECT recipient_id, group_key, max(id), count(*), min(created_at) FROM added
  WHERE group_key IS NOT NULL
  GROUP BY 1, 2
  ORDER BY 1, 2
  ON CONFLICT (recipient_id, group_key) DO UPDATE
    SET latest_id = greatest(notification_groups.latest_id, excluded.latest_id),
        count = notification_groups.count + excluded.count,
        started_at = least(notification_groups.started_at, excluded.started_at);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION "notification_groups_removed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Locked in one order, so two removals touching the same groups cannot deadlock.
  PERFORM 1 FROM notification_groups g
  WHERE (g.recipient_id, g.group_key) IN (
    SELECT recipient_id, group_key FROM removed WHERE group_key IS NOT NULL)
  ORDER BY g.recipient_id, g.group_key
  FOR UPDATE;
  -- What is left of each group, read through the group index.
  WITH touched AS (
    SELECT DISTINCT recipient_id, group_key FROM removed WHERE group_key IS NOT NULL
  ), left_over AS (
    SELECT t.recipient_id, t.group_key, s.latest_id, s.count, s.started_at
    FROM touched t CROSS JOIN LATERAL (
      SELECT max(n.id) AS latest_id, count(*)::int AS count, min(n.created_at) AS started_at
      FROM notifications n
      WHERE n.recipient_id = t.recipient_id AND n.group_key = t.group_key
    ) s
  ), emptied AS (
    DELETE FROM notification_groups g USING left_over l
    WHERE g.recipient_id = l.recipient_id AND g.group_key = l.group_key AND l.count = 0
  )
  UPDATE notification_groups g
  SET latest_id = l.latest_id, count = l.count, started_at = l.started_at
  FROM left_over l
  WHERE g.recipient_id = l.recipient_id AND g.group_key = l.group_key AND l.count > 0;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "notifications_grouped_added" AFTER INSERT ON "notifications"
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "notification_groups_added"();--> statement-breakpoint
CREATE TRIGGER "notifications_grouped_removed" AFTER DELETE ON "notifications"
REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "notification_groups_removed"();
