import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PluginError, discoverPlugins, orderPlugins, validateDescriptor, type LoadedPlugin } from './loader'

const root = mkdtempSync(join(tmpdir(), 'hatchery-loader-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let serial = 0

/** A fresh plugins folder: each entry is a folder name and the text of its index.ts (null: no index.ts). */
function pluginsDir(plugins: Record<string, string | null>): string {
  const dir = join(root, `set-${++serial}`)
  mkdirSync(dir)
  for (const [folder, source] of Object.entries(plugins)) {
    mkdirSync(join(dir, folder))
    if (source !== null) writeFileSync(join(dir, folder, 'index.ts'), source)
  }
  return dir
}

/** index.ts default-exporting a plain descriptor object. */
const plugin = (descriptor: Record<string, unknown>) => `export default ${JSON.stringify(descriptor)}\n`

async function pluginError(promise: Promise<unknown>): Promise<PluginError> {
  try {
    await promise
  } catch (e) {
    expect(e).toBeInstanceOf(PluginError)
    return e as PluginError
  }
  throw new Error('expected a PluginError')
}

const names = (plugins: LoadedPlugin[]) => plugins.map((p) => p.descriptor.name)

describe('discoverPlugins', () => {
  test('imports each folder’s index.ts and reports where it came from', async () => {
    const dir = pluginsDir({ hello: plugin({ name: 'hello', version: '1.0.0', description: 'hi' }) })
    const [p] = await discoverPlugins({ bundledDir: dir })
    expect(p.descriptor).toEqual({ name: 'hello', version: '1.0.0', description: 'hi' })
    expect(p.file).toBe(join(dir, 'hello', 'index.ts'))
    expect(p.dir).toBe(join(dir, 'hello'))
    expect(p.external).toBe(false)
    expect(p.migrationsDir).toBeUndefined()
  })

  test('a missing plugins folder stops boot instead of starting with none', async () => {
    const e = await pluginError(discoverPlugins({ bundledDir: join(root, 'nope') }))
    expect(e.message).toBe(`${join(root, 'nope')}: bundled plugins folder not found`)
    const external = await pluginError(discoverPlugins({ bundledDir: null, externalDir: join(root, 'gone') }))
    expect(external.message).toBe(`${join(root, 'gone')}: PLUGINS_DIR folder not found`)
  })

  test('folders starting with _ or . are skipped, as are plain files', async () => {
    const dir = pluginsDir({
      real: plugin({ name: 'real', version: '1.0.0' }),
      _disabled: 'throw new Error("must not be imported")',
      '.hidden': 'throw new Error("must not be imported")',
      _empty: null,
    })
    writeFileSync(join(dir, 'README.md'), '# notes')
    expect(names(await discoverPlugins({ bundledDir: dir }))).toEqual(['real'])
  })

  test('only index.ts is imported', async () => {
    const dir = pluginsDir({ one: plugin({ name: 'one', version: '1.0.0' }) })
    writeFileSync(join(dir, 'one', 'service.ts'), 'throw new Error("must not be imported")')
    expect(names(await discoverPlugins({ bundledDir: dir }))).toEqual(['one'])
  })

  test('a folder without index.ts stops boot, naming the folder', async () => {
    const dir = pluginsDir({ ok: plugin({ name: 'ok', version: '1.0.0' }), broken: null })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.file).toBe(join(dir, 'broken'))
    expect(e.message).toStartWith(`${join(dir, 'broken')}: plugin folder has no index.ts`)
  })

  test('an index.ts that fails to load stops boot, naming the file', async () => {
    const dir = pluginsDir({ boom: 'throw new Error("kaput")\nexport default {}' })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.file).toBe(join(dir, 'boom', 'index.ts'))
    expect(e.message).toContain('failed to load')
    expect(e.message).toContain('kaput')
    expect(e.message).toEndWith(`(at ${join(dir, 'boom', 'index.ts')}:1:11)`)
  })

  test('a syntax error names the file and line of the real source', async () => {
    const dir = pluginsDir({ typo: "export default {\n  name: 'typo',\n  version: '1.0.0' +,\n}\n" })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.message).toStartWith(`${join(dir, 'typo', 'index.ts')}: failed to load: `)
    expect(e.message).toEndWith(`(at ${join(dir, 'typo', 'index.ts')}:3:21)`)
  })

  test.each([
    ['no default export', 'export const x = 1', 'must default-export'],
    ['a missing name', plugin({ version: '1.0.0' }), 'name must be kebab-case'],
    ['a name that is not kebab-case', plugin({ name: 'My_Plugin', version: '1.0.0' }), 'name must be kebab-case'],
    ['a missing version', plugin({ name: 'p' }), 'version must be semver'],
    ['a version that is not semver', plugin({ name: 'p', version: 'v1' }), 'version must be semver'],
    ['dependsOn not a list of names', plugin({ name: 'p', version: '1.0.0', dependsOn: 'users' }), 'dependsOn must be a list'],
    ['routes that are not functions', plugin({ name: 'p', version: '1.0.0', routes: { client: {} } }), 'routes.client must be a function'],
    [
      'routes in an unknown namespace',
      'export default { name: "p", version: "1.0.0", routes: { private: () => null } }',
      'routes.private: unknown namespace',
    ],
    ['setup that is not a function', plugin({ name: 'p', version: '1.0.0', setup: true }), 'setup must be a function'],
    [
      'a job without run()',
      plugin({ name: 'p', version: '1.0.0', jobs: { sweep: { schedule: '* * * * *' } } }),
      'job "sweep" needs schedule and run()',
    ],
    [
      'a rate limit that is not snake_case',
      plugin({ name: 'p', version: '1.0.0', rateLimits: { 'Bad-Name': { hits: 1, window_seconds: 1 } } }),
      'must be snake_case',
    ],
    [
      'a rate limit with zero hits',
      plugin({ name: 'p', version: '1.0.0', rateLimits: { login: { hits: 0, window_seconds: 1 } } }),
      'needs integer hits',
    ],
    [
      'a CLI command without run()',
      plugin({ name: 'p', version: '1.0.0', cli: { greet: { description: 'x' } } }),
      'cli "greet" needs description and run()',
    ],
    [
      'a migrations folder that does not exist',
      plugin({ name: 'p', version: '1.0.0', migrations: './migrations' }),
      'migrations folder ./migrations does not exist',
    ],
  ])('a bad descriptor (%s) stops boot, naming the file', async (_, source, reason) => {
    const dir = pluginsDir({ bad: source })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.file).toBe(join(dir, 'bad', 'index.ts'))
    expect(e.message).toStartWith(`${join(dir, 'bad', 'index.ts')}: `)
    expect(e.message).toContain(reason)
  })

  test('a migrations folder is resolved against the plugin folder', async () => {
    const dir = pluginsDir({ withdb: plugin({ name: 'withdb', version: '1.0.0', migrations: './sql' }) })
    mkdirSync(join(dir, 'withdb', 'sql'))
    const [p] = await discoverPlugins({ bundledDir: dir })
    expect(p.migrationsDir).toBe(join(dir, 'withdb', 'sql'))
  })

  test('a missing dependency stops boot, naming the plugin that needs it', async () => {
    const dir = pluginsDir({ servers: plugin({ name: 'servers', version: '1.0.0', dependsOn: ['nodes'] }) })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.file).toBe(join(dir, 'servers', 'index.ts'))
    expect(e.message).toContain('depends on "nodes", which is not installed')
  })

  test('a dependency cycle stops boot, showing the cycle', async () => {
    const dir = pluginsDir({
      a: plugin({ name: 'a', version: '1.0.0', dependsOn: ['b'] }),
      b: plugin({ name: 'b', version: '1.0.0', dependsOn: ['c'] }),
      c: plugin({ name: 'c', version: '1.0.0', dependsOn: ['a'] }),
    })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.message).toContain('dependency cycle: a → b → c → a')
  })

  test('a plugin depending on itself is a cycle', async () => {
    const dir = pluginsDir({ self: plugin({ name: 'self', version: '1.0.0', dependsOn: ['self'] }) })
    expect((await pluginError(discoverPlugins({ bundledDir: dir }))).message).toContain('dependency cycle: self → self')
  })

  test('two plugins with the same name stop boot, naming both files', async () => {
    const dir = pluginsDir({
      first: plugin({ name: 'users', version: '1.0.0' }),
      second: plugin({ name: 'users', version: '2.0.0' }),
    })
    const e = await pluginError(discoverPlugins({ bundledDir: dir }))
    expect(e.message).toContain('plugin name "users" is also used by')
    expect(e.message).toContain(join(dir, 'first', 'index.ts'))
    expect(e.message).toContain(join(dir, 'second', 'index.ts'))
  })

  test('plugins come after their dependencies, ties by name', async () => {
    const dir = pluginsDir({
      // Folder names deliberately disagree with plugin names and with dependency order.
      '1': plugin({ name: 'alpha', version: '1.0.0', dependsOn: ['zeta'] }),
      '2': plugin({ name: 'zeta', version: '1.0.0', dependsOn: ['mid'] }),
      '3': plugin({ name: 'mid', version: '1.0.0' }),
      '4': plugin({ name: 'beta', version: '1.0.0' }),
      '5': plugin({ name: 'omega', version: '1.0.0', dependsOn: ['beta', 'alpha'] }),
    })
    expect(names(await discoverPlugins({ bundledDir: dir }))).toEqual(['mid', 'zeta', 'alpha', 'beta', 'omega'])
  })
})

describe('discoverPlugins with an external folder', () => {
  test('external plugins import the host’s packages and may depend on bundled ones', async () => {
    const bundled = pluginsDir({ core: plugin({ name: 'core-thing', version: '1.0.0' }) })
    const external = pluginsDir({
      greeter: [
        `import { Elysia } from 'elysia'`,
        `import { definePlugin } from 'hatchery'`,
        `export default definePlugin({`,
        `  name: 'greeter', version: '0.1.0', dependsOn: ['core-thing'],`,
        `  routes: { client: () => new Elysia().get('/hello', () => ({ hello: 'world' })) },`,
        `})`,
      ].join('\n'),
    })
    const plugins = await discoverPlugins({ bundledDir: bundled, externalDir: external })
    expect(names(plugins)).toEqual(['core-thing', 'greeter'])
    const greeter = plugins[1]
    expect(greeter.external).toBe(true)
    expect(plugins[0].external).toBe(false)
    const app = greeter.descriptor.routes!.client!({} as any)
    const res = await app.handle(new Request('http://localhost/hello'))
    expect(await res.json()).toEqual({ hello: 'world' })
  })

  test('a second external folder works too', async () => {
    const external = pluginsDir({
      other: `import { t } from 'elysia'\nexport default { name: 'other', version: '1.0.0', model: t.String() }`,
    })
    const [p] = await discoverPlugins({ bundledDir: pluginsDir({}), externalDir: external })
    expect(p.descriptor.name).toBe('other')
  })

  test('an external plugin with the name of a bundled one is refused', async () => {
    const bundled = pluginsDir({ users: plugin({ name: 'users', version: '1.0.0' }) })
    const external = pluginsDir({ users: plugin({ name: 'users', version: '9.0.0' }) })
    const e = await pluginError(discoverPlugins({ bundledDir: bundled, externalDir: external }))
    expect(e.file).toBe(join(external, 'users', 'index.ts'))
  })
})

describe('validateDescriptor', () => {
  test('accepts a complete descriptor', () => {
    const d = {
      name: 'nodes',
      version: '1.2.3-beta.1',
      dependsOn: ['users'],
      tables: {},
      migrations: 'migrations',
      routes: { root: () => null, public: () => null, auth: () => null, client: () => null, admin: () => null, remote: () => null },
      cli: { 'nodes list': { description: 'List nodes', run: async () => {} } },
      jobs: { sweep: { schedule: { everySeconds: 60 }, run: async () => {} } },
      rateLimits: { nodes_create: { hits: 5, window_seconds: 60 } },
      setup: () => ({}),
      onShutdown: () => {},
    }
    expect(() => validateDescriptor(d, 'x/index.ts')).not.toThrow()
  })

  test.each([null, 1, 'plugin'])('refuses %p', (d) => {
    expect(() => validateDescriptor(d, 'x/index.ts')).toThrow('x/index.ts: must default-export definePlugin({...})')
  })

  test('CLI command words must be kebab-case', () => {
    const d = { name: 'p', version: '1.0.0', cli: { 'Do Thing': { description: 'x', run: () => {} } } }
    expect(() => validateDescriptor(d, 'f')).toThrow('f: cli "Do Thing": command words must be kebab-case')
  })

  test.each([
    [{ options: { title: { type: 'number' } } }, `cli "notes add" --title: type must be 'string' or 'boolean'`],
    [{ options: { json: { type: 'boolean' } } }, 'cli "notes add" --json: option names are kebab-case'],
    [{ options: { title: { type: 'string', schema: 'minLength 1' } } }, 'cli "notes add" --title: schema must be a TypeBox schema'],
    [{ positionals: 'KEY' }, 'cli "notes add": positionals must be a list'],
    [
      { positionals: [{ name: 'A' }, { name: 'B', required: true }] },
      'cli "notes add" B: a required positional cannot follow an optional one',
    ],
  ])('CLI arguments are declared soundly: %j', (args, message) => {
    const d = { name: 'p', version: '1.0.0', cli: { 'notes add': { description: 'x', run: () => {}, ...args } } }
    expect(() => validateDescriptor(d, 'f')).toThrow(`f: ${message}`)
  })
})

describe('orderPlugins', () => {
  const loaded = (name: string, dependsOn?: string[]): LoadedPlugin => ({
    descriptor: { name, version: '1.0.0', dependsOn },
    file: `/plugins/${name}/index.ts`,
    dir: `/plugins/${name}`,
    external: false,
  })

  test('a diamond is ordered once per plugin', () => {
    const order = orderPlugins([loaded('top', ['left', 'right']), loaded('left', ['base']), loaded('right', ['base']), loaded('base')])
    expect(names(order)).toEqual(['base', 'left', 'right', 'top'])
  })

  test('no plugins, no order', () => {
    expect(orderPlugins([])).toEqual([])
  })
})
