import { beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { asc, eq } from 'drizzle-orm'
import { adminCaller, expectModel, prepareAdminTests, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { parseEgg, readEggDocument, splitRules } from './format'
import { ExportedEgg, ImportAnswer } from './import-model'
import { nestEggs, nestEggVariables, nests } from './tables'

// The shared reference fixtures (PTDL_v1 and PTDL_v2 from Pterodactyl) sit beside the repository;
// the project's own (Pelican PLCN_v1/v2/v3, JSON and YAML) in test/fixtures/eggs.
const SHARED = join(import.meta.dir, '../../../shared/fixtures/eggs')
const OWN = join(import.meta.dir, '../../test/fixtures/eggs')
const eggFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(json|ya?ml)$/.test(f))
    .map((f) => join(dir, f))
const FILES = [...eggFiles(SHARED), ...eggFiles(OWN)]

const t = useTestApp()
let admin: AdminCaller

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
}, SETUP_TIMEOUT)

/** A nest to import into and one to re-import into (fixtures from different sets share egg names). */
async function twoNests(label: string): Promise<[string, string]> {
  const rows = await t.kernel.database.db
    .insert(nests)
    .values([
      { author: 'tests@example.com', name: `${label} (imported)` },
      { author: 'tests@example.com', name: `${label} (re-imported)` },
    ])
    .returning()
  return [rows[0].uuid, rows[1].uuid]
}

/** An egg and its variables as stored, without what a new import changes (uuids, nest, times). */
async function stored(uuid: string) {
  const db = t.kernel.database.db
  const [{ uuid: _u, nest_uuid: _n, created: _c, ...egg }] = await db.select().from(nestEggs).where(eq(nestEggs.uuid, uuid))
  const variables = (
    await db.select().from(nestEggVariables).where(eq(nestEggVariables.egg_uuid, uuid)).orderBy(asc(nestEggVariables.env_variable))
  ).map(({ uuid: _v, egg_uuid: _e, created: _c2, ...v }) => v)
  return { egg, variables }
}

test('the fixtures are there: 14 shared PTDL eggs, and PLCN_v1/v2/v3 and YAML eggs of our own', () => {
  expect(eggFiles(SHARED)).toHaveLength(14)
  const own = eggFiles(OWN).map((f) => readFileSync(f, 'utf8'))
  for (const version of ['PLCN_v1', 'PLCN_v2', 'PLCN_v3']) expect(own.some((text) => text.includes(version))).toBeTrue()
  expect(eggFiles(OWN).some((f) => f.endsWith('.yaml'))).toBeTrue()
})

describe('import → export → re-import gives an equal egg', () => {
  for (const file of FILES) {
    test(file.slice(file.lastIndexOf('/') + 1), async () => {
      const text = readFileSync(file, 'utf8')
      const [first, second] = await twoNests(file.slice(file.lastIndexOf('/') + 1))
      const source = readEggDocument(text) as { variables: { env_variable: string; rules?: string | string[] }[] }
      const contentType = file.endsWith('.json') ? 'application/json' : 'application/yaml'
      const imported = await t.request('POST', `/api/admin/nests/${first}/eggs/import`, {
        cookie: admin.cookie,
        body: text,
        headers: { 'content-type': contentType },
      })
      expect(imported.status).toBe(200)
      expectModel(ImportAnswer, imported.body)
      expect(imported.body.dropped_rules).toEqual([])
      expect(imported.body.skipped_variables).toEqual([])

      const original = await stored(imported.body.egg.uuid)
      // Every variable of the file, with every rule as written.
      expect(original.variables.map((v) => v.env_variable)).toEqual(source.variables.map((v) => v.env_variable).sort())
      for (const v of source.variables) {
        const rules = typeof v.rules === 'string' ? splitRules(v.rules) : (v.rules ?? [])
        expect(original.variables.find((o) => o.env_variable === v.env_variable)!.rules).toEqual(rules)
      }
      expect(original.egg.docker_images.length).toBeGreaterThan(0)
      expect(original.egg).toEqual({ ...original.egg, ...parseEgg(source).egg })

      const exported = await t.request('GET', `/api/admin/nests/${first}/eggs/${imported.body.egg.uuid}/export`, { cookie: admin.cookie })
      expect(exported.status).toBe(200)
      expectModel(ExportedEgg, exported.body)

      const again = await t.request('POST', `/api/admin/nests/${second}/eggs/import`, { cookie: admin.cookie, body: exported.body })
      expect(again.status).toBe(200)
      expect(again.body.dropped_rules).toEqual([])
      expect(again.body.skipped_variables).toEqual([])
      expect(await stored(again.body.egg.uuid)).toEqual(original)

      const reexported = await t.request('GET', `/api/admin/nests/${second}/eggs/${again.body.egg.uuid}/export`, { cookie: admin.cookie })
      expect(JSON.stringify({ ...reexported.body, uuid: null })).toBe(JSON.stringify({ ...exported.body, uuid: null }))
    })
  }
})
