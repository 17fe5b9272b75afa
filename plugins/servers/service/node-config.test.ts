import { describe, expect, test } from 'bun:test'
import { FORBIDDEN_CONFIG_PATHS, stripConfigPatch } from './node-config'

describe('stripConfigPatch keeps Wings’ own download guard', () => {
  test('no patch clears or replaces api.remote_download_blocked_cidrs or turns remote downloads back on', () => {
    expect(FORBIDDEN_CONFIG_PATHS).toContain('api.remote_download_blocked_cidrs')
    expect(FORBIDDEN_CONFIG_PATHS).toContain('api.disable_remote_download')
    const patches: Record<string, unknown>[] = [
      { api: { remote_download_blocked_cidrs: [], upload_limit: 5 } },
      { api: { remote_download_blocked_cidrs: null, disable_remote_download: false } },
      { api: null },
      { api: 'replaced' },
      { api: [] },
    ]
    for (const patch of patches) {
      const api = stripConfigPatch(patch).api as Record<string, unknown> | undefined
      expect(api === undefined || (!('remote_download_blocked_cidrs' in api) && !('disable_remote_download' in api))).toBe(true)
    }
    expect(stripConfigPatch(patches[0])).toEqual({ api: { upload_limit: 5 } })
  })
})
