DROP INDEX "admin_activities_created_idx";--> statement-breakpoint
DROP INDEX "admin_activities_user_idx";--> statement-breakpoint
DROP INDEX "user_activities_user_created_idx";--> statement-breakpoint
CREATE INDEX "admin_activities_created_id_idx" ON "admin_activities" USING btree ("created","id");--> statement-breakpoint
CREATE INDEX "admin_activities_user_created_id_idx" ON "admin_activities" USING btree ("user_uuid","created","id");--> statement-breakpoint
CREATE INDEX "user_activities_user_created_id_idx" ON "user_activities" USING btree ("user_uuid","created","id");