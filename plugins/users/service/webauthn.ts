// @simplewebauthn/server (~20 MiB with its ASN.1 and COSE dependencies) is loaded by the first
// passkey ceremony, not at boot: most panels never see one. A literal specifier, so the binary's
// bundler includes it.
let loaded: Promise<typeof import('@simplewebauthn/server')> | undefined

/** The WebAuthn library, imported on first use. */
export const webauthn = () => (loaded ??= import('@simplewebauthn/server'))
