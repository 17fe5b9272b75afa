// The S3 double the tests run (s3rver ships no types); only what they use.
declare module 's3rver' {
  export default class S3rver {
    constructor(options: {
      port: number
      address: string
      silent?: boolean
      directory: string
      serviceEndpoint?: string
      configureBuckets?: { name: string }[]
    })
    run(): Promise<{ port: number }>
    close(): Promise<void>
  }
}
