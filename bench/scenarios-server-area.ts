/**
 * The client server area's scenarios (issue 15): a directory listing answered through the Wings
 * double, and the backups list read from `server_backups`. Both on one server the bench admin owns,
 * on a node whose Wings is the double, started in the harness's process (not the measured one).
 */
import { sql } from 'drizzle-orm'
import { serverBody } from '../plugins/servers/test-fixtures'
import { startWingsDouble } from '../tools/wings-double'
import { sessionCookie, type Scenario, type ScenarioContext } from './scenarios'

/** Files written into the server's root, all listed on one page. */
const FILES = 100
/** Backups rows of the server. */
const BACKUPS = 20

async function ok(response: Response, label: string): Promise<any> {
  const text = await response.text()
  if (!response.ok) throw new Error(`${label} answered ${response.status} ${text.slice(0, 200)}`)
  return JSON.parse(text)
}

/**
 * Once per run: a node made through the admin API with the double behind it, an egg inserted in
 * SQL, a server of the bench admin created through the admin API (the double learns it from the
 * panel, as Wings does), FILES files in its root and BACKUPS backups rows. The server's uuid.
 */
function benchServerOnDouble(ctx: ScenarioContext): Promise<string> {
  return ctx.once('server-on-double', async () => {
    const cookie = await sessionCookie(ctx)
    const call = async (method: string, path: string, body?: unknown) =>
      ok(
        await fetch(`${ctx.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', cookie },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        `${method} ${path}`,
      )
    const { location } = await call('POST', '/api/admin/locations', { name: 'bench-double' })
    const { node } = await call('POST', '/api/admin/nodes', {
      location_uuid: location.uuid,
      name: 'bench-double',
      deployment_enabled: true,
      maintenance_enabled: false,
      url: 'http://127.0.0.1:1',
      sftp_port: 2022,
      memory: 65536,
      disk: 1048576,
    })
    const token = await call('GET', `/api/admin/nodes/${node.uuid}/token`)
    const wings = await startWingsDouble({ panelUrl: ctx.url, tokenId: token.token_id, token: token.token })
    await call('PATCH', `/api/admin/nodes/${node.uuid}`, { url: wings.url })

    const [{ egg }] = await ctx.db.query<{ egg: string }>(sql`
      with nest as (insert into nests (author, name) values ('bench@example.com', 'bench-double') returning uuid)
      insert into nest_eggs (nest_uuid, author, name, config_startup, config_stop, config_script, startup_commands, docker_images)
      select uuid, 'bench@example.com', 'bench-double', '{"done":["Done"],"strip_ansi":false}', '{"type":"command","value":"stop"}',
             '{"container":"debian","entrypoint":"bash","content":"echo"}', '[["Default","java -jar server.jar"]]',
             '[["Java 21","ghcr.io/pterodactyl/yolks:java_21"]]'
      from nest returning uuid as egg`)
    const [bench] = await ctx.db.query<{ uuid: string }>(sql`select uuid from users where username = 'bench'`)
    const body = serverBody(
      { node_uuid: node.uuid, owner_uuid: bench.uuid, egg_uuid: egg },
      { name: 'bench-double', feature_limits: { allocations: 1, databases: 0, backups: BACKUPS, schedules: 0 } },
    )
    const { server } = await call('POST', '/api/admin/servers', body)
    const known = wings.servers.get(server.uuid)
    if (!known) throw new Error('the Wings double does not know the new server')
    for (let i = 0; i < FILES; i++) known.files.write(`file-${String(i).padStart(3, '0')}.txt`, new TextEncoder().encode(`bench ${i}\n`))

    await ctx.db.query(sql`
      insert into server_backups (server_uuid, node_uuid, name, successful, checksum, bytes, files, disk, completed, created)
      select ${server.uuid}::uuid, ${node.uuid}::uuid, 'bench-backup-' || i, true, 'sha1:' || md5(i::text), 1048576 * i, 10 * i,
             'local', now() - make_interval(hours => i), now() - make_interval(hours => i)
      from generate_series(1, ${BACKUPS}) i`)
    await ctx.db.query(sql`analyze server_backups`)
    return server.uuid as string
  })
}

/** Fixed paths for the report: the server's uuid is only known once `prepare` ran, so `path` is patched then. */
export function serverAreaScenarios(): Scenario[] {
  const filesList: Scenario = {
    name: 'server-files-list',
    title: `GET …/files/list, a directory of ${FILES} entries through the Wings double (cookie)`,
    path: '/api/client/servers/{server}/files/list',
    target: 0.1,
    prepare: async (ctx) => {
      const uuid = await benchServerOnDouble(ctx)
      filesList.path = `/api/client/servers/${uuid}/files/list?directory=%2F&per_page=${FILES}`
      return { cookie: await sessionCookie(ctx) }
    },
  }
  const backups: Scenario = {
    name: 'server-backups',
    title: `GET …/backups, ${BACKUPS} backups (cookie)`,
    path: '/api/client/servers/{server}/backups',
    target: 0.3,
    prepare: async (ctx) => {
      const uuid = await benchServerOnDouble(ctx)
      backups.path = `/api/client/servers/${uuid}/backups`
      return { cookie: await sessionCookie(ctx) }
    },
  }
  return [filesList, backups]
}
