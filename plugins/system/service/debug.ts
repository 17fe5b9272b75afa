import { type Actor, type PluginContext } from 'hatchery'

/**
 * The debug switch (`GET|POST /api/admin/system/debug`). Debug mode makes a 500 tell its cause
 * (the error's message and causes, or which field of a response broke its schema) instead of
 * `internal server error`; stack traces and SQL parameters are never sent either way. It starts as
 * `APP_DEBUG` (`default`); the choice is stored in the read-only setting `system.debug` (null =
 * as APP_DEBUG says), so it reaches every panel process within 2 s and survives a restart.
 */
export async function debugState(ctx: PluginContext) {
  return { enabled: await ctx.kernel.debugMode.enabled(), default: ctx.kernel.debugMode.initial }
}

export async function setDebug(ctx: PluginContext, actor: Actor, enabled: boolean): Promise<void> {
  await ctx.settings.update(
    { 'system.debug': enabled },
    { allowReadOnly: true, within: (tx) => ctx.activity.admin(tx, actor, 'system:debug.update', { enabled }) },
  )
}
