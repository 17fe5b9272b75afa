import { eq } from 'drizzle-orm'
import type { Db, SettingsService } from 'hatchery'
import type { MailApi } from '../../mail'
import { tables as userTables, userMailContext } from '../../users'
import type { ServerRow } from './admin-servers'

/** The 8 hex digits of a server's uuid_short (its panel URL and SFTP user name). */
export const shortId = (server: { uuid_short: number }) => (server.uuid_short >>> 0).toString(16).padStart(8, '0')

/** `server_installed`: sent to the owner when Wings reports an install, successful or not (as the reference does). */
export function registerInstallMail(mailer: MailApi): void {
  mailer.templates.register('server_installed', {
    subject: '{{server.name}} has been installed',
    text:
      'Hello {{user.username}},\n\n' +
      'The installation of your server {{server.name}} on {{app_name}} has finished. Open it here:\n\n' +
      '{{server_link}}\n\n' +
      'If the installation failed, the server page shows what went wrong and lets you try again.',
    variables: [
      'user.uuid',
      'user.username',
      'user.email',
      'user.name_first',
      'user.name_last',
      'server.uuid',
      'server.name',
      'server_link',
    ],
  })
}

/** Sends `server_installed` to the server's owner in the background (a failure is logged). */
export async function mailInstalled(db: Db, mailer: MailApi, settings: SettingsService, server: ServerRow): Promise<void> {
  const [owner] = await db.select().from(userTables.users).where(eq(userTables.users.uuid, server.owner_uuid))
  if (!owner) return
  const base = (await settings.get('app.url')).replace(/\/+$/, '')
  mailer.sendLater('server_installed', owner.email, {
    user: userMailContext(owner),
    server: { uuid: server.uuid, name: server.name },
    server_link: `${base}/server/${shortId(server)}`,
  })
}
