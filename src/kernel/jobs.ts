import { Cron } from 'croner'
import { sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import type { Logger } from './logger'
import type { JobDef, PluginContext } from './plugin'
import { Conflict } from './errors'

interface Entry {
  name: string
  def: JobDef
  ctx: PluginContext
  running?: Promise<void>
}

/**
 * Runs plugin jobs on their schedules. Each slot (a cron tick or an interval boundary) is
 * claimed with one conditional upsert in `hatchery_jobs`, so when several panel processes
 * share a database exactly one of them runs it.
 */
/**
 * Throws unless `schedule` is a valid cron expression or an interval of at least one second
 * (checked at boot before any migration, and again on register).
 * @example checkSchedule('users:prune', '0 * * * *')
 */
export function checkSchedule(name: string, schedule: JobDef['schedule']): void {
  if (typeof schedule === 'string') {
    try {
      new Cron(schedule, { paused: true }).stop()
    } catch (e) {
      throw new Error(`job ${name}: invalid cron expression "${schedule}": ${(e as Error).message}`)
    }
  } else if (!(schedule?.everySeconds >= 1)) throw new Error(`job ${name}: everySeconds must be at least 1`)
}

export class JobScheduler {
  private entries = new Map<string, Entry>()
  private timers: { stop(): void }[] = []
  private stopped = false
  /** Whether a plugin's jobs are paused (its plugin switched off); read before each slot is claimed. */
  private paused: (plugin: string) => boolean | Promise<boolean> = () => false

  constructor(
    private database: Database,
    private log: Logger,
  ) {}

  /** Where the scheduler learns that a plugin is switched off: its jobs are skipped, `runNow` refuses them. */
  pauseWhen(paused: (plugin: string) => boolean | Promise<boolean>): void {
    this.paused = paused
  }

  register(name: string, def: JobDef, ctx: PluginContext): void {
    if (this.entries.has(name)) throw new Error(`job ${name} is registered twice`)
    checkSchedule(name, def.schedule)
    this.entries.set(name, { name, def, ctx })
  }

  names(): string[] {
    return [...this.entries.keys()]
  }

  start(): void {
    for (const entry of this.entries.values()) {
      const { schedule } = entry.def
      if (typeof schedule === 'string') {
        const cron = new Cron(schedule, { protect: true }, (self: Cron) => {
          // The slot is the occurrence this run is for. currentRun() is when the timer fired,
          // milliseconds later and different in every process, so each would claim its own slot.
          const slot = self.previousRuns(1, new Date(Date.now() + 1))[0] ?? new Date()
          void this.tick(entry, slot)
        })
        this.timers.push(cron)
      } else {
        // One timer per boundary, re-aimed each time: setInterval drifts a few ms per tick and
        // would, in time, skip a slot. The slot is the boundary aimed at, not the firing time.
        const ms = schedule.everySeconds * 1000
        let timer: ReturnType<typeof setTimeout> | undefined
        const arm = (after: number) => {
          const now = Date.now()
          const slot = Math.max(after + ms, (Math.floor(now / ms) + 1) * ms)
          timer = setTimeout(() => {
            if (this.stopped) return
            void this.tick(entry, new Date(slot))
            arm(slot)
          }, slot - now)
        }
        arm(-Infinity)
        this.timers.push({ stop: () => clearTimeout(timer) })
      }
    }
  }

  private async claim(name: string, slot: Date): Promise<boolean> {
    const rows = await this.database
      .query(sql`insert into hatchery_jobs (name, slot, started) values (${name}, ${slot.toISOString()}::timestamptz, now())
      on conflict (name) do update set slot = excluded.slot, started = excluded.started
      where hatchery_jobs.slot < excluded.slot returning name`)
    return rows.length > 0
  }

  private async tick(entry: Entry, slot: Date): Promise<void> {
    if (this.stopped || entry.running) return
    try {
      // Not claimed while paused: a process that has not yet seen the switch may still run it.
      if (await this.paused(entry.ctx.plugin)) return
      if (!(await this.claim(entry.name, slot))) return
    } catch (e) {
      this.log.warn('job claim failed', { job: entry.name, error: e as Error })
      return
    }
    await this.execute(entry)
  }

  private async execute(entry: Entry): Promise<void> {
    const started = performance.now()
    entry.running = (async () => {
      let error: string | null = null
      try {
        await entry.def.run(entry.ctx)
      } catch (e) {
        error = (e as Error).message ?? String(e)
        this.log.error('job failed', { job: entry.name, error: e as Error })
      }
      await this.database
        .query(sql`update hatchery_jobs set finished = now(), last_error = ${error} where name = ${entry.name}`)
        .catch(() => {})
      this.log.debug('job finished', { job: entry.name, duration_ms: Math.round(performance.now() - started) })
    })()
    try {
      await entry.running
    } finally {
      entry.running = undefined
    }
  }

  /** Runs a job immediately in this process (CLI `panel jobs run`, tests). */
  async runNow(name: string): Promise<void> {
    const entry = this.entries.get(name)
    if (!entry) throw new Error(`unknown job ${name}`)
    if (await this.paused(entry.ctx.plugin)) {
      throw new Conflict(
        `job ${name} is paused: extension ${entry.ctx.plugin} is disabled (enable it first: PATCH /api/admin/extensions/${entry.ctx.plugin})`,
      )
    }
    await this.database.query(sql`insert into hatchery_jobs (name, slot, started) values (${name}, now(), now())
      on conflict (name) do update set started = now()`)
    await this.execute(entry)
  }

  /** Stops scheduling and waits for jobs in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) t.stop()
    this.timers = []
    await Promise.all([...this.entries.values()].map((e) => e.running?.catch(() => {})))
  }
}
