import { describe, expect, test } from 'bun:test'
import { createLogger, describeError } from './logger'

describe('describeError', () => {
  test('keeps the cause (the PostgreSQL error under Drizzle’s wrapper) and drops the statement parameters', () => {
    const pg = Object.assign(new Error('deadlock detected'), { code: '40P01' })
    const wrapped = new Error('Failed query: update users set password = $1 where uuid = $2\nparams: $argon2id$v=19$secret,abc', {
      cause: pg,
    })
    const out = describeError(wrapped)
    expect(out.message).toBe('Failed query: update users set password = $1 where uuid = $2')
    expect(JSON.stringify(out)).not.toContain('argon2id')
    expect(out.cause).toMatchObject({ name: 'Error', message: 'deadlock detected', code: '40P01' })
  })

  test('an error field of a log line is written that way', () => {
    const lines: string[] = []
    const log = createLogger({ level: 'error', write: (line) => void lines.push(line) })
    log.error('request failed', {
      error: new Error('Failed query: select 1\nparams: token-digest', { cause: new Error('Connection terminated unexpectedly') }),
    })
    const line = JSON.parse(lines[0])
    expect(line.error.cause.message).toBe('Connection terminated unexpectedly')
    expect(lines[0]).not.toContain('token-digest')
  })
})

describe('the request line', () => {
  const collect = (level: 'info' | 'warn' = 'info', base?: Record<string, unknown>) => {
    const lines: string[] = []
    const log = createLogger({ level, write: (line) => void lines.push(line) }, base)
    return { lines, log }
  }
  const strip = (line: string) => ({ ...JSON.parse(line), time: undefined })

  test('is the same JSON as info("request", fields), hostile text escaped', () => {
    for (const fields of [
      { method: 'GET', path: '/api/settings', status: 200, duration_ms: 1.25, request_id: 'abc-1', ip: '127.0.0.1' },
      { method: 'GET', path: '/a"b\\c\u0001é', status: 404, request_id: null, ip: '::1' },
      { method: 'POST', path: '/x', status: 503, duration_ms: undefined, request_id: 'id"', ip: '10.0.0.1' },
    ]) {
      const fast = collect()
      const slow = collect()
      fast.log.request(fields)
      slow.log.info('request', fields)
      expect(strip(fast.lines[0])).toEqual(strip(slow.lines[0]))
      expect(Object.keys(JSON.parse(fast.lines[0]))).toEqual(Object.keys(JSON.parse(slow.lines[0])))
    }
  })

  test('honours the level and a child logger’s fields', () => {
    const quiet = collect('warn')
    quiet.log.request({ method: 'GET', path: '/', status: 200, request_id: 'a', ip: '1.1.1.1' })
    expect(quiet.lines).toEqual([])
    const child = collect('info', { plugin: 'p' })
    child.log.request({ method: 'GET', path: '/', status: 200, request_id: 'a', ip: '1.1.1.1' })
    expect(JSON.parse(child.lines[0])).toMatchObject({ msg: 'request', plugin: 'p', path: '/' })
  })
})

describe('stdout', () => {
  const run = async (script: string) => {
    const proc = Bun.spawn([process.execPath, '-e', script], { cwd: import.meta.dir, stdout: 'pipe', stderr: 'pipe' })
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    return out.split('\n').filter(Boolean)
  }

  test('every line arrives whole and in order, multi-byte text included, across buffer swaps', async () => {
    const lines = await run(`
      const { createLogger } = await import('./logger.ts')
      const log = createLogger({ level: 'info' })
      for (let i = 0; i < 6000; i++) {
        log.request({ method: 'GET', path: '/é/' + i + '/' + 'x'.repeat(200), status: 200, request_id: 'r' + i, ip: '::1' })
        if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5))
      }
      await log.flush()
    `)
    expect(lines).toHaveLength(6000)
    lines.forEach((line, i) => expect(JSON.parse(line).request_id).toBe('r' + i))
    expect(JSON.parse(lines[0]).path.startsWith('/é/0/')).toBe(true)
  })

  test('lines beyond what a slow stdout can take are dropped and counted; exit writes what is buffered', async () => {
    const lines = await run(`
      const { createLogger } = await import('./logger.ts')
      const log = createLogger({ level: 'info' })
      for (let i = 0; i < 30000; i++) log.request({ method: 'GET', path: '/' + 'y'.repeat(300), status: 200, request_id: 'r' + i, ip: '::1' })
      await log.flush()
      log.info('last')
    `)
    const requests = lines.filter((l) => JSON.parse(l).msg === 'request')
    const dropped = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'log lines dropped: stdout too slow')
    expect(requests.length).toBeGreaterThan(1000)
    expect(requests.length + dropped.dropped).toBe(30000)
    expect(JSON.parse(lines.at(-1)!).msg).toBe('last')
  })
})

test('a line larger than the log buffer is written whole, in its place', async () => {
  const proc = Bun.spawn(
    [
      process.execPath,
      '-e',
      `const { createLogger } = await import('./logger.ts')
       const log = createLogger({ level: 'info' })
       log.info('before')
       log.info('huge', { text: 'z'.repeat(2_000_000) })
       log.info('after')
       await log.flush()`,
    ],
    { cwd: import.meta.dir, stdout: 'pipe' },
  )
  const lines = (await new Response(proc.stdout).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  expect(lines.map((l) => l.msg)).toEqual(['before', 'huge', 'after'])
  expect(lines[1].text).toHaveLength(2_000_000)
})
