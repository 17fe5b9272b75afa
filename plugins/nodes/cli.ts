import { eq } from 'drizzle-orm'
import { t } from 'elysia'
import { NotFound, SYSTEM_ACTOR, transaction, type CliCommand, type PluginContext } from 'hatchery'
import { tables as locationTables } from '../locations'
import { Name } from './model'
import { adminNode, createNode, findNode, getNode, nodeAudit, resetToken, revealToken, type NodeRow } from './service/nodes'
import { joinDocument } from './service/join'
import { renderJoin } from './admin-token'

const { locations } = locationTables
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NODE = { name: 'NODE', required: true, description: 'Node uuid or name' }
const Format = t.Union([t.Literal('yaml'), t.Literal('json')])

async function locationUuid(ctx: PluginContext, ref: string): Promise<string> {
  const where = UUID.test(ref) ? eq(locations.uuid, ref.toLowerCase()) : eq(locations.name, ref)
  const [found] = await ctx.db.select({ uuid: locations.uuid }).from(locations).where(where)
  if (!found) throw new NotFound(`no location with uuid or name "${ref}"`)
  return found.uuid
}

async function nodeOf(ctx: PluginContext, ref: string): Promise<NodeRow> {
  const found = await findNode(ctx.db, ref)
  if (!found) throw new NotFound(`no node with uuid or name "${ref}"`)
  return found
}

const join = async (ctx: PluginContext, node: NodeRow, token: { token_id: string; token: string }) =>
  joinDocument(node, token, await ctx.settings.get('app.url'))

/** `panel nodes …`: create a node, reset its token, print its join document. */
export function nodesCli(): Record<string, CliCommand> {
  return {
    'nodes create': {
      description: 'Create a node; prints it, its token and the join configuration for Wings (YAML)',
      options: {
        name: { type: 'string', required: true, schema: Name },
        location: { type: 'string', required: true, description: 'Location uuid or name' },
        url: { type: 'string', required: true, description: 'Wings base URL, e.g. https://node1.example.com:8080' },
        'public-url': { type: 'string', description: 'URL browsers use, when it differs from --url' },
        description: { type: 'string' },
        'sftp-port': { type: 'string', schema: t.Integer({ minimum: 1, maximum: 65535 }), description: 'Default 2022' },
        memory: { type: 'string', schema: t.Integer({ minimum: 0 }), description: 'MiB, 0 (default) = unlimited' },
        disk: { type: 'string', schema: t.Integer({ minimum: 0 }), description: 'MiB, 0 (default) = unlimited' },
      },
      async run(ctx, { options }, io) {
        const o = options as Record<string, string | number | undefined>
        const location_uuid = await locationUuid(ctx, String(o.location))
        const { row, token } = await transaction(ctx.db, async (tx) => {
          const created = await createNode(tx, ctx.secrets, {
            location_uuid,
            name: String(o.name),
            description: o.description === undefined ? null : String(o.description),
            deployment_enabled: true,
            maintenance_enabled: false,
            url: String(o.url),
            public_url: o['public-url'] === undefined ? null : String(o['public-url']),
            sftp_port: (o['sftp-port'] as number | undefined) ?? 2022,
            memory: (o.memory as number | undefined) ?? 0,
            disk: (o.disk as number | undefined) ?? 0,
          })
          await ctx.activity.admin(tx, SYSTEM_ACTOR, 'node:create', { ...nodeAudit(created.row), source: 'cli' })
          return created
        })
        const node = await adminNode(ctx.db, ctx.secrets, row.uuid)
        const doc = await join(ctx, row, { token_id: row.token_id, token })
        io.result(
          { node, token_id: row.token_id, token, join: doc },
          `created node ${node.name} (${node.uuid})\ntoken id: ${row.token_id}\ntoken: ${token}\n\njoin configuration (config.yml for Wings):\n${renderJoin(doc)}`,
        )
      },
    },
    'nodes reset-token': {
      description: "Replace a node's token; prints the new token and join configuration",
      positionals: [NODE],
      async run(ctx, { positionals }, io) {
        const found = await nodeOf(ctx, positionals[0])
        const { row, token_id, token } = await transaction(ctx.db, async (tx) => {
          const reset = await resetToken(tx, ctx.secrets, found.uuid)
          await ctx.activity.admin(tx, SYSTEM_ACTOR, 'node:reset-token', { node_uuid: reset.row.uuid, source: 'cli' })
          return reset
        })
        const doc = await join(ctx, row, { token_id, token })
        io.result(
          { token_id, token, join: doc },
          `new token for node ${row.name} (${row.uuid})\ntoken id: ${token_id}\ntoken: ${token}\n\njoin configuration:\n${renderJoin(doc)}`,
        )
      },
    },
    'nodes join': {
      description: "Print a node's join configuration for Wings (YAML, or JSON with --format json)",
      positionals: [NODE],
      options: { format: { type: 'string', schema: Format, description: 'yaml (default) or json' } },
      async run(ctx, { positionals, options }, io) {
        const node = await getNode(ctx.db, (await nodeOf(ctx, positionals[0])).uuid)
        const doc = await join(ctx, node, revealToken(ctx.secrets, node))
        io.result(doc, renderJoin(doc, options.format === 'json' ? 'json' : 'yaml').trimEnd())
      },
    },
  }
}
