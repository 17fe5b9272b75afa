export { parseMail, startSmtpSink } from '../../src/testing'
export type { CapturedMail, SmtpSink, SmtpSinkOptions } from '../../src/testing'
