import { BadRequest, HttpError, transaction, type Actor, type ActivityLogs, type Db } from 'hatchery'
import { MailError, type Mailer } from './mailer'

/** The test waits this long at most; the SMTP transport's own timeouts are shorter (transport.ts). */
export const CONNECTION_TEST_TIMEOUT_MS = 15_000

/**
 * Sends the `connection_test` template to `email` through the configured transport and waits for
 * the answer. Mail off → 400; a transport that refuses, is down or stays silent → 502 with its
 * reason. Writes `email:connection-test` once the message was accepted.
 */
export async function sendConnectionTest(mailer: Mailer, db: Db, activity: ActivityLogs, actor: Actor, email: string): Promise<void> {
  if ((await mailer.mode()) === 'none') throw new BadRequest('email functionality is disabled in settings')
  try {
    await mailer.send('connection_test', email, {}, { timeoutMs: CONNECTION_TEST_TIMEOUT_MS, force: true })
  } catch (e) {
    if (!(e instanceof MailError)) throw e
    const reason =
      e.kind === 'timeout'
        ? `sending test email timed out after ${CONNECTION_TEST_TIMEOUT_MS / 1000} seconds`
        : `failed to send test email: ${reasonOf(e)}`
    throw new HttpError(502, reason)
  }
  await transaction(db, (tx) => activity.admin(tx, actor, 'email:connection-test', { email }))
}

/** The transport's own words, without the mailer's `failed to send email:` prefix. */
function reasonOf(e: MailError): string {
  const cause = (e as { cause?: unknown }).cause
  return cause instanceof Error ? cause.message : e.message.replace(/^failed to send email: /, '')
}
