/**
 * The baseline: the fastest the panel could answer on this machine. A plain `Bun.serve` returning
 * a JSON document shaped like `GET /api/settings` and of about its size (BARE_BYTES, default
 * 1536), serialized per request with a fresh `time` as the panel must do.
 */
const port = Number(process.env.PORT)
const targetBytes = Number(process.env.BARE_BYTES || 1536)

const document = {
  time: new Date().toISOString(),
  oobe_step: null,
  disabled_extensions: [] as string[],
  captcha_provider: { type: 'none' },
  app: {
    url: `http://localhost:${port}`,
    icon: '/icon.svg',
    icon_light: null,
    banner: null,
    banner_light: null,
    name: 'Hatchery',
    language: 'en',
    registration_enabled: true,
    debug: false,
  },
  webauthn: { enabled: true, allow_discoverable: true },
  server: {
    max_file_manager_view_size: 10485760,
    max_file_manager_content_search_size: 5242880,
    max_file_manager_search_results: 100,
    max_subuser_count: 25,
    max_schedule_step_count: 50,
    max_backup_group_count: 10,
    max_database_instance_database_count: 10,
    max_database_instance_user_count: 10,
    allow_overwriting_custom_docker_image: true,
    allow_acknowledging_installation_failure: true,
    container_prelude: 'container@hatchery~',
  },
  user: {
    max_server_group_count: 25,
    max_api_key_count: 50,
    max_command_snippet_count: 100,
    max_security_key_count: 50,
    max_ssh_key_count: 50,
    allow_changing_language: true,
    route_order: null,
  },
}
// Grow the document with realistic entries until it matches the panel's body size.
while (JSON.stringify(document).length < targetBytes - 24)
  document.disabled_extensions.push(`dev.hatchery.extension-${document.disabled_extensions.length}`)

const server = Bun.serve({
  port,
  hostname: '127.0.0.1',
  fetch() {
    document.time = new Date().toISOString()
    return new Response(JSON.stringify(document), { headers: { 'content-type': 'application/json' } })
  },
})

console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${server.port}`, bytes: JSON.stringify(document).length }))
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
