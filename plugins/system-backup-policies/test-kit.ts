/** Test support for system backup policies (test files only): a backup runner that records its calls. */
import { expect } from 'bun:test'
import type { AdminCaller, TestApp } from 'hatchery/testing'
import type { BackupRunner, PolicyBackupOptions } from './service/runner'
import type { SystemBackupPoliciesApi } from './api'
import plugin from '.'

export interface RecordingRunner extends BackupRunner {
  started: { server: string; backup: string; options: PolicyBackupOptions }[]
  removed: string[]
  /** The most `start` calls that were in flight at once, by policy. */
  maxActive: Map<string, number>
  /** Milliseconds each `start` takes. */
  delayMs: number
  /** Makes `remove` throw while true. */
  failRemove: boolean
}

/** A runner whose backups are uuids it makes up; `started`/`removed` say what it was asked. */
export function recordingRunner(delayMs = 0): RecordingRunner {
  const active = new Map<string, number>()
  const runner: RecordingRunner = {
    started: [],
    removed: [],
    maxActive: new Map(),
    delayMs,
    failRemove: false,
    async start(_db, server, options) {
      const now = (active.get(options.policyUuid) ?? 0) + 1
      active.set(options.policyUuid, now)
      runner.maxActive.set(options.policyUuid, Math.max(runner.maxActive.get(options.policyUuid) ?? 0, now))
      await Bun.sleep(runner.delayMs)
      active.set(options.policyUuid, active.get(options.policyUuid)! - 1)
      const backup = crypto.randomUUID()
      runner.started.push({ server, backup, options })
      return backup
    },
    async remove(_db, backup) {
      if (runner.failRemove) throw new Error('node unreachable')
      runner.removed.push(backup)
    },
  }
  return runner
}

/** The plugin's API in the test app. */
export const policiesApi = (t: TestApp): SystemBackupPoliciesApi => t.kernel.contexts.get('system-backup-policies')!.api(plugin)

const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 9)}`

/** A policy made through the admin API (enabled, every minute, parallelism 10 unless `over` says otherwise). */
export async function makePolicy(t: TestApp, admin: AdminCaller, over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/system-backup-policies', {
    cookie: admin.cookie,
    body: { name: uniq('policy'), enabled: true, cron: '* * * * *', parallelism: 10, ...over },
  })
  expect(res.status).toBe(200)
  return res.body.system_backup_policy as { uuid: string; name: string }
}

/** Links a location, node or server to a policy through the admin API. */
export async function link(t: TestApp, admin: AdminCaller, policy: string, kind: 'location' | 'node' | 'server', uuid: string) {
  const res = await t.request('POST', `/api/admin/system-backup-policies/${policy}/${kind}s`, {
    cookie: admin.cookie,
    body: { [`${kind}_uuid`]: uuid },
  })
  expect(res.status).toBe(200)
}
