import { Cron } from 'croner'
import { Value } from '@sinclair/typebox/value'
import { BadRequest } from 'hatchery'
import { Action, Condition, Trigger, type Action as ActionValue, type Condition as ConditionValue } from '../model'

/** How deep `and`/`or`/`not` groups may nest (spec 03 §4.1). */
export const MAX_NESTING_DEPTH = 3

/** True when no group sits deeper than `MAX_NESTING_DEPTH` levels (the reference's `nested_within_limit`). */
export function withinNesting(condition: ConditionValue, depth = 0): boolean {
  if (!condition || typeof condition !== 'object') return true
  if (condition.type === 'and' || condition.type === 'or') {
    const members = Array.isArray(condition.conditions) ? condition.conditions : []
    return depth < MAX_NESTING_DEPTH && members.every((c) => withinNesting(c, depth + 1))
  }
  if (condition.type === 'not') return depth < MAX_NESTING_DEPTH && withinNesting(condition.condition!, depth + 1)
  return true
}

function checkCondition(condition: ConditionValue, path: string): void {
  if (!withinNesting(condition)) throw new BadRequest(`${path}: condition may not nest groups more than ${MAX_NESTING_DEPTH} levels deep`)
}

/** Croner's verdict on a pattern: null when it parses, else its message. */
export function cronProblem(pattern: string): string | null {
  try {
    new Cron(pattern, { paused: true }).stop()
    return null
  } catch (error) {
    return (error as Error).message
  }
}

/** A Rust-style leading inline flag group (`(?i)`) is read as JavaScript flags. */
function compiles(regex: string): boolean {
  const inline = /^\(\?([imsx]+)\)/.exec(regex)
  try {
    new RegExp(inline ? regex.slice(inline[0].length) : regex, inline ? inline[1].replace(/x/g, '') : '')
    return true
  } catch {
    return false
  }
}

const TRIGGER_DEFAULTS: Record<string, Record<string, unknown>> = {
  resource_usage: { for_seconds: 0 },
  console_line: { case_insensitive: false, output_into: null },
}
const SELECTOR_DEFAULTS: Record<string, Record<string, unknown>> = {
  latest: { backup_group_uuid: null },
  oldest: { backup_group_uuid: null },
  name: { backup_group_uuid: null, oldest: false },
}
const ACTION_DEFAULTS: Record<string, Record<string, unknown>> = {
  wait_for_console_line: { case_insensitive: false },
  create_backup: { backup_group_uuid: null, output_into: null },
  restore_backup: { restore_startup: false },
  delete_backup: { ignore_failure: false },
  move_backup: { ignore_failure: false, backup_group_uuid: null },
  delete_files: { ignore_failure: false },
  rename_files: { ignore_failure: false },
  http_request: { headers: [], body: null, ignore_error_status: false, output_status_into: null, output_body_into: null },
}

const withDefaults = <T extends Record<string, unknown>>(value: T, defaults: Record<string, unknown> | undefined): T =>
  defaults ? ({ ...defaults, ...value } as T) : value

/**
 * The triggers as stored and sent to the node: unknown keys dropped, serde defaults filled in, each
 * cron pattern checked with croner (400 `triggers[i].schedule: …`).
 */
export function normalizeTriggers(triggers: unknown[], path = 'triggers'): Record<string, unknown>[] {
  return triggers.map((raw, i) => {
    const trigger = Value.Clean(Trigger, structuredClone(raw)) as Record<string, unknown>
    if (trigger.type === 'cron') {
      const problem = cronProblem(String(trigger.schedule))
      if (problem) throw new BadRequest(`${path}[${i}].schedule: invalid cron expression: ${problem}`)
    }
    return { type: trigger.type, ...withDefaults(trigger, TRIGGER_DEFAULTS[String(trigger.type)]) }
  })
}

/** One level of a condition, its groups' members checked and cleaned in turn (400 `<path>: …`). */
function cleanCondition(condition: unknown, path: string): ConditionValue {
  const error = Value.Errors(Condition, condition).First()
  if (error) throw new BadRequest(`${path}${error.path.replace(/\//g, '.')}: ${error.message}`)
  const clean = Value.Clean(Condition, structuredClone(condition)) as ConditionValue
  if (clean.conditions) clean.conditions = clean.conditions.map((c, i) => cleanCondition(c, `${path}.conditions[${i}]`))
  if (clean.condition) clean.condition = cleanCondition(clean.condition, `${path}.condition`)
  return clean
}

/** The condition as stored: every level checked, unknown keys dropped; groups nested too deep are 400. */
export function normalizeCondition(condition: unknown, path = 'condition'): ConditionValue {
  checkCondition(condition as ConditionValue, path)
  return cleanCondition(condition, path)
}

/**
 * The action as stored and sent to the node: unknown keys dropped, serde defaults filled in; its
 * conditions nest no deeper than allowed, a `match_regex` regex compiles and an `http_request` URL
 * parses (400 `<path>.<field>: …`).
 */
export function normalizeAction(action: unknown, path = 'action'): ActionValue {
  const clean = Value.Clean(Action, structuredClone(action)) as ActionValue
  if (clean.condition) clean.condition = normalizeCondition(clean.condition, `${path}.condition`)
  if (clean.type === 'match_regex' && !compiles(String(clean.regex))) throw new BadRequest(`${path}.regex: invalid regex`)
  if (clean.type === 'http_request' && !URL.canParse(String(clean.url))) throw new BadRequest(`${path}.url: invalid url`)
  const backup = clean.backup as Record<string, unknown> | undefined
  const normalized = withDefaults(clean, ACTION_DEFAULTS[clean.type])
  if (backup) normalized.backup = { mode: backup.mode, ...withDefaults(backup, SELECTOR_DEFAULTS[String(backup.mode)]) }
  return { ...normalized, type: clean.type }
}

const POWER_PERMISSION: Record<string, string> = {
  start: 'control.start',
  stop: 'control.stop',
  restart: 'control.restart',
  kill: 'control.stop',
}
const ACTION_PERMISSION: Record<string, string> = {
  wait_for_console_line: 'control.read-console',
  send_command: 'control.console',
  create_backup: 'backups.create',
  restore_backup: 'backups.restore',
  delete_backup: 'backups.delete',
  move_backup: 'backups.update',
  create_directory: 'files.create',
  write_file: 'files.update',
  copy_file: 'files.update',
  delete_files: 'files.delete',
  rename_files: 'files.update',
  compress_files: 'files.archive',
  decompress_file: 'files.archive',
  update_startup_variable: 'startup.update',
  update_startup_command: 'startup.command',
  update_startup_docker_image: 'startup.docker-image',
}

/** The server permission an editor needs to create, change or import a step doing `action` (spec 03 §4.1 "perm"); null for none. */
export function actionPermission(action: ActionValue): string | null {
  if (action.type === 'send_power') return POWER_PERMISSION[String(action.action)] ?? null
  return ACTION_PERMISSION[action.type] ?? null
}
