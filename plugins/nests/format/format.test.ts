import { describe, expect, test } from 'bun:test'
import { BadRequest } from 'hatchery'
import { EGG_MAX_BYTES, exportEgg, parseEgg, planVariableUpdate, readEggDocument, splitRules } from '.'

const base = (over: Record<string, unknown> = {}) => ({
  name: 'Egg',
  author: 'me@example.com',
  description: null,
  config: {},
  scripts: { installation: { container: 'alpine', entrypoint: 'ash', content: null } },
  startup: 'run',
  docker_images: {},
  variables: [],
  ...over,
})
const reason = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequest)
    return (e as BadRequest).messages.join('; ')
  }
  throw new Error('did not throw')
}

describe('readEggDocument', () => {
  test('JSON when the text starts with `{`, YAML otherwise', () => {
    expect(readEggDocument('  \n{"a": 1}')).toEqual({ a: 1 })
    expect(readEggDocument('a: 1\nb: [x, y]')).toEqual({ a: 1, b: ['x', 'y'] })
    expect(readEggDocument('{a: 1}', 'yaml')).toEqual({ a: 1 })
    expect(reason(() => readEggDocument('{a: 1}'))).toStartWith('invalid egg: not valid JSON')
  })
  test('refuses custom tags, too many aliases, duplicate keys, deep nesting, NUL bytes, 1e999 and big files', () => {
    expect(reason(() => readEggDocument('a: !!js/function "x"'))).toStartWith('invalid egg: not valid YAML')
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ]
    expect(reason(() => readEggDocument(bomb.join('\n')))).toStartWith('invalid egg: not valid YAML')
    expect(reason(() => readEggDocument('a: 1\na: 2'))).toStartWith('invalid egg: not valid YAML')
    expect(reason(() => readEggDocument(`{"a": ${'['.repeat(100)}${']'.repeat(100)}}`))).toBe('invalid egg: nested deeper than 64 levels')
    expect(reason(() => readEggDocument('{"a": {"b": "x\\u0000"}}'))).toBe('invalid egg: a.b contains a NUL byte or an unpaired surrogate')
    expect(reason(() => readEggDocument('{"a": [1e999]}'))).toBe('invalid egg: a[0]: number out of range')
    expect(reason(() => readEggDocument('a: .inf'))).toBe('invalid egg: a: number out of range')
    expect(reason(() => readEggDocument(`{"a": "${'x'.repeat(EGG_MAX_BYTES)}"}`))).toBe('egg is too large')
    expect(reason(() => readEggDocument('- a'))).toBe('invalid egg: the document must be an object')
    expect(reason(() => readEggDocument(' '))).toBe('invalid egg: the document is empty')
  })
})

describe('splitRules', () => {
  test('splits on `|` but keeps a regex whole', () => {
    expect(splitRules('required|string|max:20')).toEqual(['required', 'string', 'max:20'])
    expect(splitRules('required|regex:/^(a|b|c)$/i|max:5')).toEqual(['required', 'regex:/^(a|b|c)$/i', 'max:5'])
    expect(splitRules('not_regex:#x|y#|nullable')).toEqual(['not_regex:#x|y#', 'nullable'])
    expect(splitRules('regex:/a\\/|b/')).toEqual(['regex:/a\\/|b/'])
    expect(splitRules('required||')).toEqual(['required'])
    expect(splitRules('regex:abc|max:5')).toEqual(['regex:abc', 'max:5'])
  })
})

describe('parseEgg', () => {
  test('PTDL_v1 images become named docker images in order; Pterodactyl strings are read', () => {
    const { egg } = parseEgg(
      base({
        docker_images: undefined,
        images: ['ghcr.io/a:1', 'ghcr.io/b:2', 'ghcr.io/a:1'],
        config: {
          files:
            '{"server.properties": {"parser": "properties", "find": {"server-port": "{{server.build.default.port}}", "nested": {"a": [1]}}}}',
          startup: '{"done": ")! For help"}',
          stop: '^^C',
        },
      }),
    )
    expect(egg.docker_images).toEqual([
      ['ghcr.io/a:1', 'ghcr.io/a:1'],
      ['ghcr.io/b:2', 'ghcr.io/b:2'],
    ])
    expect(egg.config_files).toEqual([
      {
        file: 'server.properties',
        create_new: true,
        parser: 'properties',
        replace: [
          { match: 'server-port', insert_new: true, update_existing: true, if_value: null, replace_with: '{{server.build.default.port}}' },
          { match: 'nested', insert_new: true, update_existing: true, if_value: null, replace_with: { a: [1] } },
        ],
      },
    ])
    expect(egg.config_startup).toEqual({ done: [')! For help'], strip_ansi: false })
    expect(egg.config_stop).toEqual({ type: 'signal', value: 'SIGKILL' })
    expect(egg.config_script.content).toBe('')
    expect(egg.startup_commands).toEqual([['Default', 'run']])
  })

  test('Calagopus and Pelican forms: replace lists, startup_commands maps, stop objects, sort', () => {
    const { egg, variables } = parseEgg(
      base({
        startup_commands: { B: 'b', A: 'a' },
        config: {
          files: { 'c.yml': { create_file: false, parser: 'yaml', replace: [{ match: 'x', replace_with: 1, if_value: 'y' }] } },
          startup: { done: 'ok', strip_ansi: true },
          stop: { type: 'command', value: 'stop' },
        },
        variables: [
          { name: 'Var', env_variable: 'V', sort: 7, user_viewable: true, user_editable: false, default_value: true, secret: true },
        ],
      }),
    )
    expect(egg.startup_commands).toEqual([
      ['B', 'b'],
      ['A', 'a'],
    ])
    expect(egg.config_files).toEqual([
      {
        file: 'c.yml',
        create_new: false,
        parser: 'yaml',
        replace: [{ match: 'x', insert_new: false, update_existing: true, if_value: 'y', replace_with: 1 }],
      },
    ])
    expect(egg.config_startup).toEqual({ done: ['ok'], strip_ansi: true })
    expect(egg.config_stop).toEqual({ type: 'command', value: 'stop' })
    expect(variables[0]).toMatchObject({ order: 7, default_value: 'true', secret: true })
  })

  test('unknown rules are dropped and reported; variables breaking limits are skipped and reported', () => {
    const parsed = parseEgg(
      base({
        variables: [
          { name: 'Good', env_variable: 'A', user_viewable: true, user_editable: true, rules: 'required|bogus|max:3' },
          { name: 'IP', env_variable: 'B', user_viewable: true, user_editable: true },
          { name: 'Again', env_variable: 'A', user_viewable: true, user_editable: true },
        ],
      }),
    )
    expect(parsed.variables.map((v) => [v.env_variable, v.rules, v.order])).toEqual([['A', ['required', 'max:3'], 1]])
    expect(parsed.dropped).toEqual([{ env_variable: 'A', rule: 'bogus', reason: 'unknown or unsupported validation rule: bogus' }])
    expect(parsed.skipped).toEqual([
      { env_variable: 'B', reason: 'name: length is lower than 3' },
      { env_variable: 'A', reason: 'env_variable: repeats an earlier variable' },
    ])
  })

  test('invalid documents name the field', () => {
    expect(reason(() => parseEgg(base({ author: undefined })))).toBe('missing field `author`')
    expect(reason(() => parseEgg(base({ scripts: {} })))).toBe('scripts: missing field `installation`')
    expect(reason(() => parseEgg(base({ startup: undefined })))).toBe('missing field `startup_commands`')
    expect(reason(() => parseEgg(base({ config: { startup: '{nope' } })))).toBe('config.startup: not a valid JSON document')
    expect(reason(() => parseEgg(base({ variables: {} })))).toBe('variables: invalid type: a map, expected a sequence')
    expect(reason(() => parseEgg(base({ author: 'x', startup_commands: { a: 'r', b: 'r' } })))).toBe(
      'author: length is lower than 2; startup_commands: duplicate startup command: r',
    )
  })
})

describe('exportEgg and planVariableUpdate', () => {
  const created = new Date('2026-01-01T00:00:00Z')
  const variable = (env: string, order: number, at = 0) => ({
    uuid: `u-${env}`,
    egg_uuid: 'e',
    name: env,
    name_translations: {},
    description: null,
    description_translations: {},
    order,
    env_variable: env,
    default_value: null,
    user_viewable: true,
    user_editable: true,
    secret: false,
    rules: [],
    created: new Date(created.getTime() + at),
  })

  test('export orders variables by order then creation and keeps ordered maps in order', () => {
    const doc = exportEgg(
      {
        uuid: 'e',
        nest_uuid: 'n',
        egg_repository_egg_uuid: null,
        author: 'a',
        name: 'n',
        description: null,
        config_files: [],
        config_startup: { done: [], strip_ansi: false },
        config_stop: { type: '', value: null },
        config_script: { container: 'c', entrypoint: 'e', content: '' },
        startup_commands: [
          ['Z', 'z'],
          ['A', 'a'],
        ],
        force_outgoing_ip: false,
        separate_port: false,
        features: [],
        docker_images: [
          ['Zulu', 'z:1'],
          ['Alpha', 'a:1'],
        ],
        file_denylist: [],
        created,
      },
      [variable('C', 2), variable('B', 1, 5), variable('A', 1, 1)],
    )
    expect(Object.keys(doc)).toEqual([
      'uuid',
      'name',
      'description',
      'author',
      'config',
      'scripts',
      'startup_commands',
      'force_outgoing_ip',
      'separate_port',
      'features',
      'docker_images',
      'file_denylist',
      'variables',
    ])
    expect(Object.keys(doc.docker_images)).toEqual(['Zulu', 'Alpha'])
    expect(doc.variables.map((v) => v.env_variable)).toEqual(['A', 'B', 'C'])
  })

  test('update plan: upsert by env_variable, the others renumbered after the document', () => {
    const incoming = parseEgg(
      base({
        variables: [
          { name: 'New', env_variable: 'NEW', user_viewable: true, user_editable: true },
          { name: 'Bee', env_variable: 'B', order: 9, user_viewable: true, user_editable: true, secret: true },
        ],
      }),
    ).variables
    const plan = planVariableUpdate([variable('A', 3), variable('B', 1), variable('C', 1)], incoming)
    expect(plan.insert.map((v) => v.env_variable)).toEqual(['NEW'])
    expect(plan.update).toHaveLength(1)
    expect(plan.update[0].uuid).toBe('u-B')
    expect(plan.update[0].set).not.toHaveProperty('secret')
    expect(plan.update[0].set.order).toBe(9)
    expect(plan.renumber).toEqual([
      { uuid: 'u-C', order: 2 + 9 + 1 },
      { uuid: 'u-A', order: 2 + 9 + 2 },
    ])
  })
})
