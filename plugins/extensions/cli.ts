import { SYSTEM_ACTOR, type CliCommand, type PluginContext } from 'hatchery'
import { setExtensionEnabled } from './service/extensions'

const toggle = (enabled: boolean): CliCommand => ({
  description: `${enabled ? 'Enable' : 'Disable'} a plugin in every panel process (as PATCH /api/admin/extensions/{extension})`,
  positionals: [{ name: 'NAME', required: true }],
  async run(ctx: PluginContext, { positionals }, io) {
    const name = positionals[0]
    await setExtensionEnabled(ctx.kernel.extensions, name, enabled, (tx) =>
      ctx.activity.admin(tx, SYSTEM_ACTOR, 'extension:toggle', { package_name: name, enabled, source: 'cli' }),
    )
    io.result({ package_name: name, enabled }, `${name} ${enabled ? 'enabled' : 'disabled'}`)
  },
})

/** `panel extensions list|enable|disable`: the switch for operators at the console (works while the server runs). */
export const extensionsCli: Record<string, CliCommand> = {
  'extensions list': {
    description: 'List the plugins and whether each is enabled',
    async run(ctx, _args, io) {
      const disabled = await ctx.kernel.extensions.fresh()
      const rows = ctx.kernel.extensions
        .installed()
        .map((p) => ({ name: p.name, version: p.version, enabled: !disabled.has(p.name), external: p.external }))
      io.result(
        rows,
        rows.map((r) => `${r.name} ${r.version}${r.external ? ' (external)' : ''}${r.enabled ? '' : ' [disabled]'}`).join('\n'),
      )
    },
  },
  'extensions enable': toggle(true),
  'extensions disable': toggle(false),
}
