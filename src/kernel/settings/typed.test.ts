import { describe, expect, test } from 'bun:test'
import type { SettingKey, Settings, SettingValue } from 'hatchery'
import { useTestApp } from '../../testing'

/** True only when A and B are the same type (checked by `tsc --noEmit`). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const same = <A, B>(proof: Same<A, B>) => proof

describe('typed settings', () => {
  const t = useTestApp()

  test('core keys take their type from their schema; plugin keys from their declared definitions', async () => {
    same<Settings['app.two_factor_requirement'], 'admins' | 'all_users' | 'none'>(true)
    same<Settings['activity.admin_log_retention_count'], number | null>(true)
    same<Settings['account.ssh_key_import_urls'], { github: string; gitlab: string; launchpad: string }>(true)
    same<SettingValue<'ratelimits.greeter_create'>, { hits: number; window_seconds: number }>(true)
    const max: number = await t.kernel.settings.get('user.max_command_snippet_count')
    expect(max).toBe(100)
    const snapshot = await t.kernel.settings.snapshot()
    const urls = snapshot.get('account.ssh_key_import_urls')
    expect(urls.github).toStartWith('https://')
    expect(snapshot.get('ratelimits.client').hits).toBe(360)
  })

  test('an unknown key does not compile, and throws at run time', async () => {
    const snapshot = await t.kernel.settings.snapshot()
    // @ts-expect-error not a setting
    expect(() => snapshot.get('user.max_snippet_count')).toThrow('unknown setting user.max_snippet_count')
    // @ts-expect-error a number is not a string
    const wrong: string = snapshot.get('user.max_ssh_key_count')
    expect(typeof wrong).toBe('number')
    const key: SettingKey = 'app.name'
    expect(snapshot.value(key)).toBe('Hatchery')
  })
})
