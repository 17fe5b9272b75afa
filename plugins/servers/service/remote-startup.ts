import { and, asc, eq } from 'drizzle-orm'
import { BadRequest, LimitExceeded, NotFound, transaction, type Db, type Tx } from 'hatchery'
import { mergedEggConfiguration } from '../../egg-configurations'
import { tables as nestTables, validateVariableValue } from '../../nests'
import { serverVariables, servers } from '../tables'
import type { ServerRow } from './admin-servers'
import { recordNodeActivity } from './server-activity'

/**
 * What a node's schedule changes in a server's startup (spec 04 §3.2 `PUT …/startup/*`). Each
 * change is logged in the server's activity with the schedule that made it (no user, no address),
 * and not pushed back to Wings, which made it.
 */
type Change = { schedule_uuid?: string | null }

/** Logs a change instead of the node's schedule (the client area's server activity, spec 03 §3.3), in the change's transaction. */
export type StartupLog = (tx: Tx, event: string, data: Record<string, unknown>) => Promise<unknown>

async function eggOf(db: Db | Tx, server: ServerRow) {
  const [egg] = await db.select().from(nestTables.nestEggs).where(eq(nestTables.nestEggs.uuid, server.egg_uuid))
  return egg
}

async function logChange(tx: Tx, server: ServerRow, change: Change, event: string, data: Record<string, unknown>, log?: StartupLog) {
  if (log) return void (await log(tx, event, data))
  await recordNodeActivity(tx, server.node_uuid, [{ server: server.uuid, schedule: change.schedule_uuid, event, metadata: data }], true)
}

/**
 * Sets one variable: 404 `variable not found` unless the egg has `env_variable`, 400 `variable is
 * not editable` unless users may edit it, 400 with the broken rule's message (the other variables'
 * values are what `same`, `different` and the `*_if` rules compare with).
 */
export async function setStartupVariable(db: Db, server: ServerRow, change: Change & { env_variable: string; value: string }) {
  const v = nestTables.nestEggVariables
  const variables = await db
    .select({ variable: v, value: serverVariables.value })
    .from(v)
    .leftJoin(serverVariables, and(eq(serverVariables.variable_uuid, v.uuid), eq(serverVariables.server_uuid, server.uuid)))
    .where(eq(v.egg_uuid, server.egg_uuid))
    .orderBy(asc(v.order), asc(v.created))
  const target = variables.find((r) => r.variable.env_variable === change.env_variable)
  if (!target) throw new NotFound('variable not found')
  if (!target.variable.user_editable) throw new BadRequest('variable is not editable')
  const others = Object.fromEntries(variables.map((r) => [r.variable.env_variable, r.value ?? r.variable.default_value ?? '']))
  others[change.env_variable] = change.value
  const problem = validateVariableValue(target.variable.rules, change.value, others)
  if (problem) throw new BadRequest(`${change.env_variable}: ${problem}`)
  await transaction(db, async (tx) => {
    await tx
      .insert(serverVariables)
      .values({ server_uuid: server.uuid, variable_uuid: target.variable.uuid, value: change.value })
      .onConflictDoUpdate({ target: [serverVariables.server_uuid, serverVariables.variable_uuid], set: { value: change.value } })
    await logChange(tx, server, change, 'server:startup.variables', {
      variables: [{ env_variable: change.env_variable, value: change.value }],
    })
  })
}

/** Sets the startup command: one of the egg's, or any when the egg configuration allows custom commands (else 417). */
export async function setStartupCommand(db: Db, server: ServerRow, change: Change & { command: string }, log?: StartupLog) {
  const egg = await eggOf(db, server)
  const predefined = egg.startup_commands.some(([, command]) => command === change.command)
  if (!predefined && !(await mergedEggConfiguration(db, egg.uuid)).config_startup?.allow_custom_startup_command) {
    throw new LimitExceeded('custom startup commands are not enabled for this server')
  }
  await transaction(db, async (tx) => {
    await tx.update(servers).set({ startup: change.command }).where(eq(servers.uuid, server.uuid))
    await logChange(tx, server, change, 'server:startup.command', { command: change.command }, log)
  })
}

/**
 * Sets the docker image: one of the egg's (else 417), and unless the setting
 * `server.allow_overwriting_custom_docker_image` is on, only over an image that is the egg's too.
 */
export async function setDockerImage(
  db: Db,
  server: ServerRow,
  change: Change & { image: string },
  overwriteCustom: boolean,
  log?: StartupLog,
) {
  const egg = await eggOf(db, server)
  const images = egg.docker_images.map(([, image]) => image)
  if (!images.includes(change.image)) throw new LimitExceeded('the specified docker image is not available')
  if (!overwriteCustom && !images.includes(server.image)) throw new LimitExceeded('overwriting custom docker images is not allowed')
  await transaction(db, async (tx) => {
    await tx.update(servers).set({ image: change.image }).where(eq(servers.uuid, server.uuid))
    await logChange(tx, server, change, 'server:startup.docker-image', { image: change.image }, log)
  })
}

/** The egg's install script (`GET …/install`); the panel always sends an empty environment. */
export async function installScript(db: Db, server: ServerRow) {
  const { config_script: script } = await eggOf(db, server)
  return { container_image: script.container, entrypoint: script.entrypoint, script: script.content, environment: {} }
}
