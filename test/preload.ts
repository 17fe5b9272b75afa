import { afterAll } from 'bun:test'
import { dropTemplates } from './helpers/db'

// Tests are quiet unless LOG_LEVEL asks otherwise.
process.env.LOG_LEVEL ??= 'silent'

afterAll(async () => {
  await dropTemplates()
})
