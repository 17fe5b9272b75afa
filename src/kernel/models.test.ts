import { describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { Empty, Uuid } from 'hatchery'
import { model as usersModel } from 'hatchery/plugins/users'
import * as accountModel from '../../plugins/account/model'

describe('shared models', () => {
  test('Uuid takes a uuid only; Empty is the {} answer', () => {
    expect(Value.Check(Uuid, '0b0f6a3e-54d1-4b8e-9c5e-1f2a3b4c5d6e')).toBe(true)
    expect(Value.Check(Uuid, 'not-a-uuid')).toBe(false)
    expect(Value.Check(Empty, {})).toBe(true)
  })

  test("the plugins that defined their own export the kernel's", () => {
    expect(usersModel.Uuid).toBe(Uuid)
    expect(usersModel.Empty).toBe(Empty)
    expect(accountModel.Uuid).toBe(Uuid)
    expect(accountModel.Empty).toBe(Empty)
  })
})
