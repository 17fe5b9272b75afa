import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, actorOf, pageParams, type PluginContext } from 'hatchery'
import { CreationOptions, Empty, RegistrationCredential, SecurityKey, Uuid } from './model'
import { loadedUser } from './service/authenticate'
import { getUser } from './service/users'
import { beginRegistration, deleteSecurityKey, finishRegistration, listSecurityKeys, renameSecurityKey } from './service/security-keys'

const Name = t.String({ minLength: 3, maxLength: 31 })

/**
 * `/api/client/account/security-keys`: WebAuthn passkeys of the account. Registering is two
 * steps: POST returns the creation options and a pending key, `/{security_key}/challenge` takes
 * the browser's attestation. Reachable by users who still lack a required second factor: a
 * registered passkey satisfies the requirement as TOTP does.
 */
export function securityKeyRoutes(ctx: PluginContext) {
  const Params = t.Object({ security_key: Uuid })
  const exempt = ['two-factor' as const]
  return new Elysia({ prefix: '/account/security-keys', tags: ['security keys'] })
    .use(ctx.guard)
    .get('', async ({ principal, query }) => ({ security_keys: await listSecurityKeys(ctx.db, principal.user.uuid, pageParams(query)) }), {
      permission: 'user:security-keys.read',
      exempt,
      query: PaginationQuery,
      response: { 200: t.Object({ security_keys: PageOf(SecurityKey) }) },
      detail: { summary: 'List security keys (search: name; oldest first; registered keys only)' },
    })
    .post(
      '',
      async ({ principal, body }) => {
        const user = loadedUser(principal) ?? (await getUser(ctx.db, principal.user.uuid))
        return beginRegistration(ctx.db, await ctx.settings.snapshot(), user.user, body)
      },
      {
        permission: 'user:security-keys.create',
        exempt,
        body: t.Object({ name: Name, allow_usernameless_login: t.Optional(t.Boolean({ default: false })) }),
        response: { 200: t.Object({ security_key: SecurityKey, options: CreationOptions }) },
        detail: {
          summary: 'Start registering a security key',
          description:
            'Returns a pending key (`credential_id` "") and the options for `navigator.credentials.create`; finish with `/{security_key}/challenge` within `webauthn.registration_timeout_seconds`. A pending key of the same name is replaced. 400 when `webauthn.enabled` is off; 417 at `user.max_security_key_count` (pending keys count); 409 for a taken name. `allow_usernameless_login` asks for a resident (discoverable) key when `webauthn.allow_discoverable` is on.',
        },
      },
    )
    .post(
      '/:security_key/challenge',
      async ({ principal, params, body, request }) => ({
        credential_id: await finishRegistration(
          ctx.db,
          ctx.activity,
          actorOf(principal, request),
          await ctx.settings.snapshot(),
          params.security_key,
          body.public_key_credential,
        ),
      }),
      {
        permission: 'user:security-keys.create',
        exempt,
        params: Params,
        body: t.Object({ public_key_credential: RegistrationCredential }),
        response: { 200: t.Object({ credential_id: t.String({ description: 'base64url without padding' }) }) },
        detail: {
          summary: 'Finish registering a security key',
          description:
            'Verifies the attestation (challenge, RP id `webauthn.rp_id`, origin `webauthn.rp_origin`, user verification). 409 `security key already setup` / `security key is already registered`; 400 `invalid or expired challenge` (the pending key is deleted) or `failed to finish security key registration`.',
        },
      },
    )
    .patch(
      '/:security_key',
      async ({ principal, params, body, request }) => {
        await renameSecurityKey(ctx.db, ctx.activity, actorOf(principal, request), params.security_key, body)
        return {}
      },
      {
        permission: 'user:security-keys.update',
        params: Params,
        body: t.Object({ name: t.Optional(Name) }),
        response: { 200: Empty },
        detail: {
          summary: 'Rename a security key',
          description: '400 `security key not setup yet` for a pending key; 409 for a taken name.',
        },
      },
    )
    .delete(
      '/:security_key',
      async ({ principal, params, request }) => {
        await deleteSecurityKey(ctx.db, ctx.activity, actorOf(principal, request), params.security_key)
        return {}
      },
      {
        permission: 'user:security-keys.delete',
        params: Params,
        response: { 200: Empty },
        detail: { summary: 'Delete a security key (pending ones too)' },
      },
    )
}
