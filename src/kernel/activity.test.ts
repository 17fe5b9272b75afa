import { describe, expect, test } from 'bun:test'
import type { Db } from '../db/client'
import { ActivityLogs, SYSTEM_ACTOR, anonymousActor, type ActivityEntry } from './activity'

const db = {} as Db

describe('ActivityLogs', () => {
  test('user, admin and a named log reach the writer their plugin provided, with the caller’s handle', async () => {
    const logs = new ActivityLogs()
    const written: [string, unknown, ActivityEntry][] = []
    for (const name of ['user', 'admin', 'server'])
      logs.provideActivityLog(name, async (handle, entry) => void written.push([name, handle, entry]), 'test')
    const actor = anonymousActor('user-1', '192.0.2.1')
    await logs.user(db, actor, 'account:update', { a: 1 })
    await logs.admin(db, SYSTEM_ACTOR, 'user:create')
    await logs.log('server', db, actor, 'server:power.start', {}, 'server-9')
    expect(written).toEqual([
      ['user', db, { actor, event: 'account:update', data: { a: 1 }, subject: undefined }],
      ['admin', db, { actor: SYSTEM_ACTOR, event: 'user:create', data: {}, subject: undefined }],
      ['server', db, { actor, event: 'server:power.start', data: {}, subject: 'server-9' }],
    ])
    expect(logs.has('server')).toBe(true)
    expect(logs.has('node')).toBe(false)
  })

  test('a log provided twice stops with both names; a log nobody provides throws', () => {
    const logs = new ActivityLogs()
    logs.provideActivityLog('user', async () => {}, 'users')
    expect(() => logs.provideActivityLog('user', async () => {}, 'other')).toThrow('other: the user activity log is already provided')
    expect(() => logs.log('server', db, SYSTEM_ACTOR, 'x')).toThrow('no plugin provides the server activity log')
  })

  test('a writer that fails fails the call (the caller’s transaction rolls back)', async () => {
    const logs = new ActivityLogs()
    logs.provideActivityLog(
      'user',
      async () => {
        throw new Error('insert failed')
      },
      'users',
    )
    await expect(logs.user(db, anonymousActor('u', null), 'x')).rejects.toThrow('insert failed')
  })
})
