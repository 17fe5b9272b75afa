import { Conflict, NotFound, type ExtensionSwitch, type Tx } from 'hatchery'

/**
 * Plugins that stay on whatever the dependency graph says, and why: switching one off would
 * lock the administrators out of the panel or out of this very switch.
 */
export const ESSENTIAL: Readonly<Record<string, string>> = {
  users: 'it authenticates every request, so disabling it would lock everyone out',
  extensions: 'it is the switch itself, so nothing could enable plugins again',
  platform: 'it serves /api/settings, without which the web interface cannot start',
}

/** `GET /api/admin/extensions`: every installed plugin, bundled and external, in load order. */
export async function listExtensions(ext: ExtensionSwitch, stored: readonly string[]) {
  const disabled = await ext.fresh()
  const installed = ext.installed()
  return {
    extensions: installed.map((p) => ({
      metadata_toml: { package_name: p.name, name: p.name, panel_version: '*', license_text: null },
      package_name: p.name,
      description: p.description,
      authors: [] as string[],
      version: p.version,
      enabled: !disabled.has(p.name),
      external: p.external,
      depends_on: p.dependsOn,
      dependants: p.dependants,
      routes: ext.routesOf(p.name),
      permissions: ext.permissionsOf(p.name),
      jobs: ext.jobsOf(p.name),
    })),
    disabled: installed.filter((p) => disabled.has(p.name)).map((p) => p.name),
    pending_disabled: [...stored],
  }
}

const list = (names: string[]) => names.join(', ')

/**
 * Switches a plugin on or off in every panel process (within 2 s) and for good. Kept true: an
 * enabled plugin's dependencies are enabled. So disabling refuses while an enabled plugin
 * depends on it (409 naming them), enabling refuses while one of its dependencies is disabled,
 * and the essential plugins refuse to go off. Checked under the lock of the stored list.
 */
export async function setExtensionEnabled(
  ext: ExtensionSwitch,
  name: string,
  enabled: boolean,
  audit: (tx: Tx) => Promise<void>,
): Promise<void> {
  const plugin = ext.installed().find((p) => p.name === name)
  if (!plugin) throw new NotFound('extension not found')
  await ext.update((stored) => {
    if (enabled) {
      const off = plugin.dependsOn.filter((d) => stored.includes(d))
      if (off.length > 0)
        throw new Conflict(
          `extension ${name} depends on ${list(off)}, which ${off.length === 1 ? 'is' : 'are'} disabled: enable ${off.length === 1 ? 'it' : 'them'} first`,
        )
      return stored.filter((n) => n !== name)
    }
    const why = ESSENTIAL[name]
    if (why) throw new Conflict(`extension ${name} cannot be disabled: ${why}`)
    const on = plugin.dependants.filter((d) => !stored.includes(d))
    if (on.length > 0)
      throw new Conflict(`extension ${name} cannot be disabled: ${list(on)} ${on.length === 1 ? 'depends' : 'depend'} on it`)
    return stored.includes(name) ? stored : [...stored, name]
  }, audit)
}
