import type * as SimpleWebAuthn from '@simplewebauthn/server'

// @simplewebauthn/server (~20 MiB with its ASN.1 and COSE dependencies) is loaded by the first
// passkey ceremony, not at boot: most panels never see one. A plain require with a literal name:
// the binary's bundler includes it (a dynamic import() of it failed inside the compiled binary).
let loaded: typeof SimpleWebAuthn | undefined

/** The WebAuthn library, loaded on first use. */
export const webauthn = async () => (loaded ??= require('@simplewebauthn/server') as typeof SimpleWebAuthn)
