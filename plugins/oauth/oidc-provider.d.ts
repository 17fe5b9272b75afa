// oidc-provider (a test dependency) ships no types; the flow test uses a few members.
declare module 'oidc-provider' {
  type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void
  class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): Handler
    on(event: string, listener: (...args: unknown[]) => void): this
    interactionDetails(req: unknown, res: unknown): Promise<{ uid: string; params: Record<string, unknown> }>
    interactionFinished(
      req: unknown,
      res: unknown,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>
    Grant: new (init: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> }
  }
  export default Provider
}
