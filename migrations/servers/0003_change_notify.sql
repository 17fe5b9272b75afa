-- What a client server object is read from (CLIENT_SERVER_TABLES, plugins/servers/client/servers.ts):
-- a write to any of these tables notifies the other panel processes (hatchery_notify_change, the
-- kernel's change feed), whose cached server pages are then read again.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['servers', 'server_subusers', 'server_allocations', 'node_allocations', 'nodes', 'locations',
    'nest_eggs', 'egg_configurations', 'egg_configuration_eggs', 'users'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "hatchery_notify_change"()',
      t || '_notify_change', t);
  END LOOP;
END $$;
