import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { transaction } from 'hatchery'
import { tables as nestTables } from '../nests'
import { createEggConfiguration, mergedEggConfiguration, mergedEggConfigurations } from './service'
import { eggConfigurations } from './tables'

const t = useTestApp()
const db = () => t.kernel.database.db
let egg: string
let other: string

const uniq = (p = 'm') => `${p}_${Math.random().toString(36).slice(2, 9)}`
async function makeEgg(): Promise<string> {
  const [nest] = await db()
    .insert(nestTables.nests)
    .values({ author: 'a@b.c', name: uniq('nest') })
    .returning()
  const [row] = await db()
    .insert(nestTables.nestEggs)
    .values({
      nest_uuid: nest.uuid,
      author: 'a@b.c',
      name: uniq('egg'),
      config_startup: { done: [], strip_ansi: false },
      config_stop: { type: 'command', value: 'stop' },
      config_script: { container: 'alpine', entrypoint: 'ash', content: '' },
      startup_commands: [['Default', './run']],
      docker_images: [['Java', 'ghcr.io/java']],
    })
    .returning()
  return row.uuid
}

beforeAll(async () => {
  egg = await makeEgg()
  other = await makeEgg()
}, SETUP_TIMEOUT)

const selfAssign = (start_port: number) => ({
  user_self_assign: { enabled: true, require_primary_allocation: false, start_port, end_port: 65000 },
})
const routes = (path: string) => ({ order: [{ type: 'route' as const, path }] })
const startup = (allow: boolean) => ({ allow_custom_startup_command: allow })
const make = (over: Record<string, unknown>) =>
  transaction(db(), (tx) => createEggConfiguration(tx, { name: uniq(), order: 0, eggs: [egg], ...over } as never))

describe('mergedEggConfiguration', () => {
  test('an egg without configurations gets three nulls', async () => {
    expect(await mergedEggConfiguration(db(), other)).toEqual({ config_allocations: null, config_startup: null, config_routes: null })
  })

  test('by (order, created), the last configuration that sets a section wins it; null sections and other eggs do not count', async () => {
    const late = await make({ order: 10, config_startup: startup(true) })
    await make({ order: -5, config_allocations: selfAssign(1000), config_startup: startup(false), config_routes: routes('/first') })
    await make({ order: 3, config_allocations: selfAssign(2000) })
    await make({ order: 5, config_routes: routes('/mid'), config_allocations: null })
    await make({ order: 99, eggs: [other], config_routes: routes('/other'), config_startup: startup(false) })
    const merged = await mergedEggConfiguration(db(), egg)
    expect(merged.config_allocations?.user_self_assign.start_port).toBe(2000)
    expect(merged.config_allocations?.deployment).toEqual({ dedicated: false, primary: null, additional: [] })
    expect(merged.config_startup).toEqual(startup(true))
    expect(merged.config_routes).toEqual(routes('/mid'))

    // the order decides, not the creation: move the late one first and the earlier startup wins
    await db().update(eggConfigurations).set({ order: -10 }).where(eq(eggConfigurations.uuid, late.uuid))
    expect((await mergedEggConfiguration(db(), egg)).config_startup).toEqual(startup(false))
    expect((await mergedEggConfiguration(db(), other)).config_routes).toEqual(routes('/other'))
    // Several eggs in one statement: each merged as alone.
    const fresh = await makeEgg()
    const many = await mergedEggConfigurations(db(), [egg, other, fresh])
    expect([...many.keys()]).toEqual([egg, other, fresh])
    for (const u of [egg, other, fresh]) expect(many.get(u)).toEqual(await mergedEggConfiguration(db(), u))
    expect(many.get(fresh)).toEqual({ config_allocations: null, config_startup: null, config_routes: null })
  })

  test('at the same order, the one created later wins', async () => {
    const egg2 = await makeEgg()
    const a = await make({ eggs: [egg2], order: 1, config_routes: routes('/a') })
    const b = await make({ eggs: [egg2], order: 1, config_routes: routes('/b') })
    await db()
      .update(eggConfigurations)
      .set({ created: new Date('2030-01-01T00:00:00Z') })
      .where(eq(eggConfigurations.uuid, a.uuid))
    await db()
      .update(eggConfigurations)
      .set({ created: new Date('2020-01-01T00:00:00Z') })
      .where(eq(eggConfigurations.uuid, b.uuid))
    expect((await mergedEggConfiguration(db(), egg2)).config_routes).toEqual(routes('/a'))
    await db()
      .update(eggConfigurations)
      .set({ created: new Date('2040-01-01T00:00:00Z') })
      .where(eq(eggConfigurations.uuid, b.uuid))
    expect((await mergedEggConfiguration(db(), egg2)).config_routes).toEqual(routes('/b'))
  })
})
