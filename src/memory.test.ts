import { describe, expect, test } from 'bun:test'
import { QuietCollector } from './memory'

const MiB = 1024 * 1024

/** A collector over a fake heap: `heap` is what heapSize() reports, `collect` frees down to `live`. */
function fake(growth = 4 * MiB) {
  const state = { heap: 10 * MiB, live: 10 * MiB, collections: 0 }
  const collector = new QuietCollector({
    heapSize: () => state.heap,
    collect: () => {
      state.collections++
      state.heap = state.live
    },
    growth,
  })
  return { state, collector }
}

describe('QuietCollector', () => {
  test('never collects while every tick saw requests, however much the heap grew', () => {
    const { state, collector } = fake()
    for (let i = 0; i < 10; i++) {
      collector.request()
      state.heap += 20 * MiB
      expect(collector.tick()).toBe(false)
    }
    expect(state.collections).toBe(0)
  })

  test('collects once at the first quiet tick after a burst, then not again until the heap grows', () => {
    const { state, collector } = fake()
    for (let i = 0; i < 100; i++) collector.request()
    state.heap += 15 * MiB
    expect(collector.tick()).toBe(false) // requests since the previous tick: busy
    expect(collector.tick()).toBe(true)
    expect(state.heap).toBe(10 * MiB)
    expect(collector.tick()).toBe(false)
    expect(collector.tick()).toBe(false)
    expect(state.collections).toBe(1)
  })

  test('a quiet panel whose heap grew less than `growth` is left alone', () => {
    const { state, collector } = fake(4 * MiB)
    collector.request()
    state.heap += 4 * MiB - 1
    collector.tick()
    expect(collector.tick()).toBe(false)
    state.heap += 1
    expect(collector.tick()).toBe(true)
  })

  test('growth counts from the heap left by the last collection, not from boot', () => {
    const { state, collector } = fake(4 * MiB)
    state.live = 20 * MiB // live data grew (caches filled)
    state.heap = 30 * MiB
    expect(collector.tick()).toBe(true)
    state.heap = 23 * MiB
    expect(collector.tick()).toBe(false)
    state.heap = 24 * MiB
    expect(collector.tick()).toBe(true)
  })
})
