import { describe, expect, test } from 'bun:test'
import { Elysia, t as tb } from 'elysia'
import { definePlugin } from '../src/kernel'
import { createLogger } from '../src/kernel/logger'
import { inlinePlugin, useTestApp } from 'hatchery/testing'

const liar = definePlugin({
  name: 'liar',
  version: '1.0.0',
  routes: {
    public: () =>
      new Elysia()
        .get('/liar/broken', () => ({ count: 'many' }) as never, { response: tb.Object({ count: tb.Integer() }) })
        .get('/liar/honest', () => ({ count: 3 }), { response: tb.Object({ count: tb.Integer() }) })
        .post('/liar/echo', ({ body }) => ({ count: body.count }), {
          body: tb.Object({ count: tb.Integer() }),
          response: tb.Object({ count: tb.Integer() }),
        }),
  },
})

function capture() {
  const lines: Record<string, any>[] = []
  return { lines, log: createLogger({ level: 'error', write: (line) => void lines.push(JSON.parse(line)) }) }
}

describe('a response that breaks its own schema', () => {
  const quiet = capture()
  const t = useTestApp(() => Promise.resolve({ plugins: [inlinePlugin(liar)], log: quiet.log }))
  const debug = capture()
  const d = useTestApp(() => Promise.resolve({ plugins: [inlinePlugin(liar)], log: debug.log, env: { APP_DEBUG: 'true' } }))

  test('is a 500 that blames nobody, logged at error level with the request id', async () => {
    const res = await t.request('GET', '/api/liar/broken')
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ errors: ['internal server error'] })
    const id = res.headers.get('x-request-id')
    const line = quiet.lines.find((l) => l.request_id === id)
    expect(line).toMatchObject({ level: 'error', msg: 'response does not match its schema', path: '/api/liar/broken', method: 'GET' })
  })

  test('in debug mode the message names the field', async () => {
    const res = await d.request('GET', '/api/liar/broken')
    expect(res.status).toBe(500)
    expect(res.body.errors[0]).toStartWith('response does not match its schema: count: ')
    expect(debug.lines.some((l) => l.request_id === res.headers.get('x-request-id'))).toBe(true)
  })

  test('a matching response and a bad request body are untouched', async () => {
    expect((await t.request('GET', '/api/liar/honest')).body).toEqual({ count: 3 })
    const bad = await t.request('POST', '/api/liar/echo', { body: { count: 'x' } })
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0]).toStartWith('count: ')
  })
})
