import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { HttpError, Validation } from '../kernel/errors'
import { helpText, parseCommandArgs, type ResolvedCommand } from './commands'

const note: ResolvedCommand = {
  name: 'notes add',
  description: 'Add a note',
  options: {
    title: { type: 'string', required: true, schema: t.String({ minLength: 1, maxLength: 20 }) },
    priority: { type: 'string', schema: t.Integer({ minimum: 1, maximum: 5 }) },
    pinned: { type: 'boolean' },
  },
  positionals: [{ name: 'FOLDER', required: true, schema: t.String({ pattern: '^[a-z]+$' }) }, { name: 'TAG' }],
  run: async () => {},
}

function refusal(argv: string[]): HttpError {
  try {
    parseCommandArgs(note, argv)
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError)
    return e as HttpError
  }
  throw new Error('expected the arguments to be refused')
}

describe('parseCommandArgs with schemas', () => {
  test('values that pass are converted by their schema', () => {
    expect(parseCommandArgs(note, ['inbox', '--title', 'Milk', '--priority', '3', '--pinned'])).toEqual({
      options: { title: 'Milk', priority: 3, pinned: true },
      positionals: ['inbox'],
    })
  })

  test("--title '' is refused like an empty body field, every failing option listed", () => {
    const e = refusal(['inbox', '--title', '', '--priority', '9'])
    expect(e).toBeInstanceOf(Validation)
    expect(e.messages).toEqual(['title: length is lower than 1', 'priority: greater than 5'])
  })

  test('a positional failing its schema names the positional', () => {
    const e = refusal(['In Box', '--title', 'x'])
    expect(e).toBeInstanceOf(Validation)
    expect(e.messages).toEqual(['FOLDER: does not match pattern /^[a-z]+$/'])
  })

  test('a missing required option or positional, or one positional too many, is a usage error', () => {
    expect(refusal(['inbox']).messages).toEqual(['missing --title'])
    expect(refusal(['--title', 'x']).messages).toEqual(['usage: panel notes add --title X [--priority X] [--pinned] FOLDER [TAG]'])
    expect(refusal(['inbox', 'tag', 'extra', '--title', 'x']).messages[0]).toStartWith('usage: ')
  })

  test('help shows options and positionals', () => {
    expect(helpText(new Map([[note.name, note]]))).toContain('notes add --title X [--priority X] [--pinned] FOLDER [TAG]')
  })
})
