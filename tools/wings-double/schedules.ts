/**
 * Schedules as Wings runs them (spec 03 §4.1, spec 04 §1.6 G): the node knows the schedules of each
 * server's configuration document (`settings.schedules`), fires their `cron`, `power_action` and
 * `server_state` triggers, runs a schedule when triggered (`POST …/schedules/{s}/trigger`), stops it
 * on `…/abort`, tells its progress on `GET …/schedules/{s}`, and reports each finished run to the
 * panel with `POST /api/remote/schedule` `{data: [{uuid, successful, errors, timestamp}]}`.
 *
 * Steps the double carries out: `sleep`, `exit`, `ensure`, `format`, `send_command` (into the
 * console log, refused while the server is offline as Wings does), `send_power` and `create_backup`
 * (asks the panel's `POST /api/remote/servers/{uuid}/backups`, then backs up as `POST …/backup`
 * does). Any other step fails with `unsupported by the wings double` (skipped when `ignore_failure`).
 */
import { Cron } from 'croner'
import { WingsError } from './http'
import { makeBackup } from './backups'
import type { WingsNode } from './node'
import type { Ctx, Route } from './route'
import { Bodies } from './schemas'
import type { DoubleServer, ServerState } from './types'

type Json = Record<string, any>

/** What `GET /api/servers/{uuid}/schedules/{schedule}` answers. */
export interface ScheduleStatus {
  running: boolean
  errors: Record<string, string>
  step: string | null
}

interface Runtime {
  status: ScheduleStatus
  /** The running execution's stop switch. */
  abort: AbortController | null
  /** One trigger received while running is kept and runs next (Wings' `Notify` permit). */
  queued: boolean | null
}

class Exit {
  constructor(readonly successful: boolean) {}
}

const key = (server: string, schedule: string) => `${server} ${schedule.toLowerCase()}`

export class ScheduleRunner {
  private readonly runtimes = new Map<string, Runtime>()
  /** Cron jobs by `server schedule pattern`. */
  private readonly crons = new Map<string, Cron>()

  constructor(private readonly node: WingsNode) {}

  /** The schedule of the server's current configuration, or 404 `schedule not found`. */
  find(server: DoubleServer, uuid: string): Json {
    const found = (server.config.settings.schedules as Json[]).find((s) => String(s.uuid).toLowerCase() === uuid.toLowerCase())
    if (!found) throw new WingsError(404, 'schedule not found')
    return found
  }

  status(server: DoubleServer, uuid: string): ScheduleStatus {
    this.find(server, uuid)
    return this.runtime(server.uuid, uuid).status
  }

  private runtime(server: string, schedule: string): Runtime {
    const k = key(server, schedule)
    let runtime = this.runtimes.get(k)
    if (!runtime) this.runtimes.set(k, (runtime = { status: { running: false, errors: {}, step: null }, abort: null, queued: null }))
    return runtime
  }

  /** Starts a run now, or queues one behind the running one. */
  trigger(server: DoubleServer, uuid: string, skipCondition: boolean): void {
    const schedule = this.find(server, uuid)
    const runtime = this.runtime(server.uuid, uuid)
    if (runtime.abort) {
      runtime.queued = (runtime.queued ?? false) || skipCondition
      return
    }
    const abort = new AbortController()
    runtime.abort = abort
    this.node.later(0, () => this.run(server, schedule, runtime, skipCondition, abort.signal))
  }

  /** Stops the running execution (no report is sent for it, as Wings' recreated executor). */
  abort(server: DoubleServer, uuid: string): void {
    this.find(server, uuid)
    const runtime = this.runtime(server.uuid, uuid)
    runtime.abort?.abort()
    runtime.abort = null
    runtime.queued = null
    runtime.status.running = false
    runtime.status.step = null
  }

  private async run(server: DoubleServer, schedule: Json, runtime: Runtime, skipCondition: boolean, signal: AbortSignal) {
    const variables = new Map<string, string>()
    try {
      if (!skipCondition && !this.holds(server, schedule.condition, variables)) return
      const errors: Record<string, string> = {}
      let successful = true
      runtime.status = { running: true, errors: {}, step: null }
      this.node.broadcast(server.uuid, 'schedule started', [schedule.uuid])
      for (const action of schedule.actions as Json[]) {
        if (signal.aborted) return
        runtime.status.step = action.uuid
        this.node.broadcast(server.uuid, 'schedule step status', [schedule.uuid, action.uuid])
        try {
          await this.execute(server, schedule, action, variables, signal)
        } catch (error) {
          if (signal.aborted) return
          if (error instanceof Exit) {
            successful = error.successful
            break
          }
          const message = (error as Error).message
          errors[action.uuid] = message
          runtime.status.errors[action.uuid] = message
          this.node.broadcast(server.uuid, 'schedule step error', [schedule.uuid, action.uuid, message])
          if (!action.ignore_failure) {
            successful = false
            break
          }
        }
      }
      if (signal.aborted) return
      runtime.status.running = false
      runtime.status.step = null
      this.node.broadcast(server.uuid, 'schedule completed', [schedule.uuid])
      await this.report({ uuid: schedule.uuid, successful, errors, timestamp: new Date().toISOString() })
    } finally {
      if (!signal.aborted) {
        runtime.abort = null
        const queued = runtime.queued
        runtime.queued = null
        if (queued !== null && this.node.servers.get(server.uuid) === server) this.trigger(server, schedule.uuid, queued)
      }
    }
  }

  private async report(run: { uuid: string; successful: boolean; errors: Record<string, string>; timestamp: string }) {
    await Bun.sleep(this.node.options.callbackDelayMs)
    const { status } = await this.node.remote('POST', '/schedule', { data: [run] }).catch(() => ({ status: 0 }))
    if (status !== 200) this.node.problem(`POST /api/remote/schedule answered ${status || 'nothing'}`)
  }

  private resolve(value: unknown, variables: Map<string, string>, name: string): string {
    if (typeof value === 'string') return value
    const variable = (value as Json | null)?.variable
    const resolved = typeof variable === 'string' ? variables.get(variable) : undefined
    if (resolved === undefined) throw new Error(`unable to resolve parameter \`${name}\` into a string.`)
    return resolved
  }

  /** The condition, for what the double can know (state, uptime, files, variables); others do not hold. */
  private holds(server: DoubleServer, condition: Json, variables: Map<string, string>): boolean {
    const variable = () => variables.get(condition.variable?.variable)
    const text = (field: string) => {
      try {
        return this.resolve(condition[field], variables, field)
      } catch {
        return undefined
      }
    }
    switch (condition?.type) {
      case 'none':
        return true
      case 'and':
        return (condition.conditions as Json[]).every((c) => this.holds(server, c, variables))
      case 'or':
        return (condition.conditions as Json[]).some((c) => this.holds(server, c, variables))
      case 'not':
        return !this.holds(server, condition.condition, variables)
      case 'server_state':
        return server.state === condition.state
      case 'file_exists':
        return server.files.get(condition.file) !== undefined
      case 'variable_exists':
        return variable() !== undefined
      case 'variable_equals':
        return variable() !== undefined && variable() === text('equals')
      case 'variable_contains':
        return variable()?.includes(text('contains') ?? '\u0000') ?? false
      case 'variable_starts_with':
        return variable()?.startsWith(text('starts_with') ?? '\u0000') ?? false
      case 'variable_ends_with':
        return variable()?.endsWith(text('ends_with') ?? '\u0000') ?? false
      default:
        return false
    }
  }

  private async execute(server: DoubleServer, schedule: Json, action: Json, variables: Map<string, string>, signal: AbortSignal) {
    if (server.installing) throw new Error('server is in a locked state.')
    switch (action.type) {
      case 'sleep':
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, action.duration)
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
        })
        return
      case 'exit':
        throw new Exit(action.successful)
      case 'ensure':
        if (!this.holds(server, action.condition, variables)) throw new Error('condition not met.')
        return
      case 'format':
        variables.set(action.output_into.variable, action.format)
        return
      case 'send_command': {
        if (server.state === 'offline') throw new Error('server is not running.')
        const command = this.resolve(action.command, variables, 'command')
        server.console.push(command)
        this.node.broadcast(server.uuid, 'console output', [command])
        return
      }
      case 'send_power':
        this.node.power(server, action.action)
        return
      case 'create_backup': {
        const name = action.name === null || action.name === undefined ? null : this.resolve(action.name, variables, 'name')
        const body = {
          name,
          ignored_files: action.ignored_files,
          schedule_uuid: schedule.uuid,
          backup_group_uuid: action.backup_group_uuid ?? null,
        }
        const { status, data } = await this.node
          .remote('POST', `/servers/${server.uuid}/backups`, body)
          .catch(() => ({ status: 0, data: null }))
        const created = data as Json | null
        if (status !== 200 || typeof created?.uuid !== 'string') throw new Error('failed to create backup')
        if (this.node.backups.has(created.uuid)) throw new Error('backup already exists')
        makeBackup(this.node, server, created.uuid, String(created.adapter), (action.ignored_files ?? []).join('\n'))
        if (action.output_into) variables.set(action.output_into.variable, created.uuid)
        return
      }
      default:
        throw new Error(`${action.type} is unsupported by the wings double.`)
    }
  }

  /** Fires the `power_action` triggers of the server's schedules (called on every power action). */
  powered(server: DoubleServer, action: string): void {
    this.fire(server, (t) => t.type === 'power_action' && t.action === action)
  }

  /** Fires the `server_state` triggers (called on every state change). */
  changed(server: DoubleServer, state: ServerState): void {
    this.fire(server, (t) => t.type === 'server_state' && t.state === state)
  }

  private fire(server: DoubleServer, matches: (trigger: Json) => boolean) {
    for (const schedule of server.config.settings.schedules as Json[]) {
      if ((schedule.triggers as Json[]).some(matches)) this.trigger(server, schedule.uuid, false)
    }
  }

  /**
   * Brings the cron jobs in line with the servers' configurations (after every request and boot):
   * a job per `cron` trigger of each known schedule, dropped with its schedule or server.
   */
  reconcile(): void {
    const wanted = new Map<string, { server: DoubleServer; schedule: string; pattern: string }>()
    for (const server of this.node.servers.values()) {
      for (const schedule of server.config.settings.schedules as Json[]) {
        for (const trigger of schedule.triggers as Json[]) {
          if (trigger.type !== 'cron') continue
          wanted.set(`${key(server.uuid, schedule.uuid)} ${trigger.schedule}`, {
            server,
            schedule: schedule.uuid,
            pattern: trigger.schedule,
          })
        }
      }
    }
    for (const [k, job] of this.crons) {
      const want = wanted.get(k)
      if (!want || this.node.servers.get(want.server.uuid) !== want.server) {
        job.stop()
        this.crons.delete(k)
      }
    }
    for (const [k, { server, schedule, pattern }] of wanted) {
      if (this.crons.has(k)) continue
      try {
        this.crons.set(
          k,
          new Cron(pattern, () => {
            const current = this.node.servers.get(server.uuid)
            if (current && (current.config.settings.schedules as Json[]).some((s) => s.uuid === schedule))
              this.trigger(current, schedule, false)
          }),
        )
      } catch (error) {
        this.node.problem(
          `schedule ${schedule} of ${server.uuid}: invalid cron pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`,
        )
      }
    }
    for (const k of this.runtimes.keys()) {
      const [server, schedule] = k.split(' ')
      const known = this.node.servers.get(server)?.config.settings.schedules.some((s) => s.uuid.toLowerCase() === schedule)
      if (!known) {
        this.runtimes.get(k)?.abort?.abort()
        this.runtimes.delete(k)
      }
    }
  }

  /** Stops every cron job and running execution (the node shuts down). */
  stop(): void {
    for (const job of this.crons.values()) job.stop()
    this.crons.clear()
    for (const runtime of this.runtimes.values()) runtime.abort?.abort()
  }
}

const scheduleOf = (ctx: Ctx) => ctx.params.schedule

/** `GET /api/servers/{uuid}/schedules/{schedule}` (202, as Wings), `POST …/trigger`, `POST …/abort`. */
export const scheduleRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/servers/:server/schedules/:schedule',
    handle: (ctx) => ctx.reply(202, { status: ctx.node.schedules.status(ctx.target, scheduleOf(ctx)) }),
  },
  {
    method: 'POST',
    path: '/api/servers/:server/schedules/:schedule/trigger',
    handle: (ctx) => {
      const body = ctx.body(Bodies.triggerSchedule)
      ctx.node.schedules.trigger(ctx.target, scheduleOf(ctx), body.skip_condition)
      return ctx.reply(200, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/schedules/:schedule/abort',
    handle: (ctx) => {
      ctx.node.schedules.abort(ctx.target, scheduleOf(ctx))
      return ctx.reply(200, {})
    },
  },
]
