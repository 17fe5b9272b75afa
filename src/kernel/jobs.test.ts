import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { freshDatabase, type TestDatabase } from '../testing/db'
import { JobScheduler } from './jobs'
import { createLogger } from './logger'
import type { JobDef, PluginContext } from './plugin'

let tdb: TestDatabase
let serial = 0
const log = createLogger({ level: 'silent' })
const ctx = { plugin: 'test' } as PluginContext
const schedulers: JobScheduler[] = []

beforeAll(async () => {
  tdb = await freshDatabase()
}, 120_000)

afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()))
})

afterAll(async () => {
  await tdb?.drop()
})

function scheduler(): JobScheduler {
  const s = new JobScheduler(tdb.database, log)
  schedulers.push(s)
  return s
}

const jobName = () => `test:job-${++serial}`

/** A job that records when each run started. */
function recorder(schedule: JobDef['schedule'], body?: () => Promise<void>) {
  const runs: number[] = []
  const def: JobDef = {
    schedule,
    async run() {
      runs.push(Date.now())
      await body?.()
    },
  }
  return { runs, def }
}

/** The scheduler's private tick for one slot, as a timer would call it. */
const tick = (s: JobScheduler, name: string, slot: Date): Promise<void> => (s as any).tick((s as any).entries.get(name), slot)

async function row(name: string) {
  const rows = await tdb.database.query<{ slot: string; started: string | null; finished: string | null; last_error: string | null }>(
    sql`select slot, started, finished, last_error from hatchery_jobs where name = ${name}`,
  )
  return rows[0]
}

describe('JobScheduler.register', () => {
  test('lists registered jobs and refuses a name twice', () => {
    const s = scheduler()
    s.register('a:one', recorder({ everySeconds: 60 }).def, ctx)
    s.register('a:two', recorder('0 * * * *').def, ctx)
    expect(s.names()).toEqual(['a:one', 'a:two'])
    expect(() => s.register('a:one', recorder({ everySeconds: 60 }).def, ctx)).toThrow('job a:one is registered twice')
  })

  test('refuses an invalid cron expression or interval', () => {
    const s = scheduler()
    expect(() => s.register('bad:cron', recorder('every minute').def, ctx)).toThrow(/^job bad:cron: invalid cron expression/)
    expect(() => s.register('bad:zero', recorder({ everySeconds: 0 }).def, ctx)).toThrow('job bad:zero: everySeconds must be at least 1')
    expect(() => s.register('bad:nan', recorder({ everySeconds: NaN }).def, ctx)).toThrow(/everySeconds/)
  })
})

describe('one slot, several panel processes', () => {
  test('two schedulers on one database ticking the same slot run the job once', async () => {
    const name = jobName()
    const a = scheduler()
    const b = scheduler()
    const ra = recorder({ everySeconds: 60 })
    const rb = recorder({ everySeconds: 60 })
    a.register(name, ra.def, ctx)
    b.register(name, rb.def, ctx)
    const slot = new Date('2030-01-01T00:00:00Z')
    await Promise.all([tick(a, name, slot), tick(b, name, slot)])
    expect(ra.runs.length + rb.runs.length).toBe(1)
    expect(new Date((await row(name)).slot).getTime()).toBe(slot.getTime())
  })

  test('a later slot runs again; an earlier or equal one does not', async () => {
    const name = jobName()
    const a = scheduler()
    const r = recorder({ everySeconds: 60 })
    a.register(name, r.def, ctx)
    await tick(a, name, new Date('2030-01-01T00:01:00Z'))
    await tick(a, name, new Date('2030-01-01T00:01:00Z'))
    await tick(a, name, new Date('2030-01-01T00:00:00Z'))
    expect(r.runs).toHaveLength(1)
    await tick(a, name, new Date('2030-01-01T00:02:00Z'))
    expect(r.runs).toHaveLength(2)
  })

  test('the same job name in another process does not share slots with another job', async () => {
    const a = scheduler()
    const one = recorder({ everySeconds: 60 })
    const two = recorder({ everySeconds: 60 })
    const [n1, n2] = [jobName(), jobName()]
    a.register(n1, one.def, ctx)
    a.register(n2, two.def, ctx)
    const slot = new Date('2030-01-01T00:00:00Z')
    await Promise.all([tick(a, n1, slot), tick(a, n2, slot)])
    expect([one.runs.length, two.runs.length]).toEqual([1, 1])
  })

  test('every-second interval: over ~2.5 s each slot runs once across two schedulers', async () => {
    const name = jobName()
    const r = recorder({ everySeconds: 1 })
    const a = scheduler()
    const b = scheduler()
    a.register(name, r.def, ctx)
    b.register(name, r.def, ctx)
    a.start()
    b.start()
    await Bun.sleep(2500)
    await Promise.all([a.stop(), b.stop()])
    const seconds = r.runs.map((t) => Math.floor(t / 1000))
    expect(r.runs.length).toBeGreaterThanOrEqual(2)
    expect(new Set(seconds).size).toBe(seconds.length)
  })

  test('every-second cron: over ~2.5 s each slot runs once across two schedulers', async () => {
    const name = jobName()
    const r = recorder('* * * * * *')
    const a = scheduler()
    const b = scheduler()
    a.register(name, r.def, ctx)
    b.register(name, r.def, ctx)
    a.start()
    b.start()
    await Bun.sleep(2500)
    await Promise.all([a.stop(), b.stop()])
    const seconds = r.runs.map((t) => Math.floor(t / 1000))
    expect(r.runs.length).toBeGreaterThanOrEqual(2)
    expect(new Set(seconds).size).toBe(seconds.length)
  })

  test('the slot claimed is the scheduled occurrence, the same in every process, not the firing time', async () => {
    const slots: Date[] = []
    for (const schedule of ['* * * * * *', { everySeconds: 1 }] as JobDef['schedule'][]) {
      const s = scheduler()
      const original = (s as any).tick.bind(s)
      ;(s as any).tick = (entry: unknown, slot: Date) => {
        slots.push(slot)
        return original(entry, slot)
      }
      s.register(jobName(), recorder(schedule).def, ctx)
      s.start()
    }
    await Bun.sleep(1600)
    await Promise.all(schedulers.splice(0).map((s) => s.stop()))
    expect(slots.length).toBeGreaterThanOrEqual(2)
    for (const slot of slots) expect(slot.getTime() % 1000).toBe(0)
  })
})

describe('JobScheduler.runNow', () => {
  test('runs the job at once and records when it finished', async () => {
    const name = jobName()
    const s = scheduler()
    const r = recorder({ everySeconds: 3600 })
    s.register(name, r.def, ctx)
    await s.runNow(name)
    expect(r.runs).toHaveLength(1)
    const state = await row(name)
    expect(state.finished).not.toBeNull()
    expect(state.last_error).toBeNull()
  })

  test('runs again when called again, whatever the slot', async () => {
    const name = jobName()
    const s = scheduler()
    const r = recorder({ everySeconds: 3600 })
    s.register(name, r.def, ctx)
    await s.runNow(name)
    await s.runNow(name)
    expect(r.runs).toHaveLength(2)
  })

  test('a failing job records its error and does not throw', async () => {
    const name = jobName()
    const s = scheduler()
    s.register(name, { schedule: { everySeconds: 3600 }, run: async () => Promise.reject(new Error('disk full')) }, ctx)
    await s.runNow(name)
    expect((await row(name)).last_error).toBe('disk full')
    // A later success clears it.
    ;(s as any).entries.get(name).def.run = async () => {}
    await s.runNow(name)
    expect((await row(name)).last_error).toBeNull()
  })

  test('an unknown job is refused', async () => {
    expect(scheduler().runNow('nope:nothing')).rejects.toThrow('unknown job nope:nothing')
  })

  test('receives the plugin context it was registered with', async () => {
    const name = jobName()
    const s = scheduler()
    let seen: PluginContext | undefined
    s.register(name, { schedule: { everySeconds: 3600 }, run: async (c) => void (seen = c) }, ctx)
    await s.runNow(name)
    expect(seen).toBe(ctx)
  })
})

describe('JobScheduler.stop', () => {
  test('waits for a job in flight and schedules nothing after', async () => {
    const name = jobName()
    const s = scheduler()
    let release!: () => void
    const r = recorder({ everySeconds: 1 }, () => new Promise<void>((res) => (release = res)))
    s.register(name, r.def, ctx)
    s.start()
    while (r.runs.length === 0) await Bun.sleep(20)
    let stopped = false
    const stopping = s.stop().then(() => (stopped = true))
    await Bun.sleep(50)
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(stopped).toBe(true)
    await Bun.sleep(1200)
    expect(r.runs).toHaveLength(1)
  })

  test('a tick while the job is still running in this process is skipped', async () => {
    const name = jobName()
    const s = scheduler()
    let release!: () => void
    const r = recorder({ everySeconds: 60 }, () => new Promise<void>((res) => (release = res)))
    s.register(name, r.def, ctx)
    const first = tick(s, name, new Date('2030-01-01T00:00:00Z'))
    while (r.runs.length === 0) await Bun.sleep(10)
    await tick(s, name, new Date('2030-01-01T00:01:00Z'))
    release()
    await first
    expect(r.runs).toHaveLength(1)
  })
})
