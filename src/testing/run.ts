import { runCommand, type Output } from '../cli/run'
import type { TestApp } from './app'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs a `panel` command line in-process against the test app's kernel, as `panel <argv…>` would.
 * @example const res = await runCli(t, ['greeter', 'greet', '--name', 'Ada', '--json']); expect(res.code).toBe(0)
 */
export async function runCli(t: TestApp, argv: string[]): Promise<CliResult> {
  const out: Output = { stdout: [], stderr: [] }
  const code = await runCommand(t.kernel, argv, out)
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') }
}

/**
 * Runs a job now, in this process, by its full name (`<plugin>:<job>`), and waits for it.
 * @example await runJob(t, 'users:purge-sessions')
 */
export function runJob(t: TestApp, name: string): Promise<void> {
  return t.kernel.jobs.runNow(name)
}
