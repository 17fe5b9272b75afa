import { describe, expect, test } from 'bun:test'
import type { NodeRow } from '../../nodes'
import { deploymentBlocker, rankNodes, type NodeUsage } from './deploy-nodes'

const node = (name: string, memory: number, disk: number, over: Partial<NodeRow> = {}) =>
  ({ uuid: name, name, memory, disk, deployment_enabled: true, maintenance_enabled: false, ...over }) as NodeRow
const usage = (n: NodeRow, used_memory: number, used_disk: number): NodeUsage => ({ node: n, used_memory, used_disk })
const wanted = { memory: 1000, disk: 1000, allow_overallocation: false }
const names = (nodes: NodeRow[]) => nodes.map((n) => n.name)

describe('rankNodes (spec 02 §8.3 step 2)', () => {
  test('randomness 0: nodes with room, the lowest resulting utilisation first; a limit of 0 is unlimited', () => {
    const ranked = rankNodes(
      [
        usage(node('half', 4000, 4000), 1000, 1000),
        usage(node('full', 4000, 4000), 3500, 0),
        usage(node('empty', 4000, 4000), 0, 0),
        usage(node('unlimited', 0, 0), 10_000, 10_000),
        usage(node('off', 4000, 4000, { deployment_enabled: false }), 0, 0),
        usage(node('maintenance', 4000, 4000, { maintenance_enabled: true }), 0, 0),
      ],
      wanted,
      0,
    )
    expect(names(ranked)).toEqual(['unlimited', 'empty', 'half'])
  })

  test('overallocation: every open node, by overflow first', () => {
    const ranked = rankNodes(
      [usage(node('way over', 1000, 1000), 5000, 0), usage(node('a bit over', 1000, 1000), 500, 0), usage(node('fits', 4000, 4000), 0, 0)],
      { ...wanted, allow_overallocation: true },
      0,
    )
    expect(names(ranked)).toEqual(['fits', 'a bit over', 'way over'])
  })

  test('randomness > 0: keys U^(1/weight), weight = free ratio^(1/randomness), highest key first', () => {
    const nodes = [usage(node('tight', 2000, 2000), 900, 0), usage(node('roomy', 10_000, 10_000), 0, 0)]
    // The same draw for both: the roomier node (weight 0.9 against 0.05) gets the higher key.
    expect(names(rankNodes(nodes, wanted, 1, () => 0.5))).toEqual(['roomy', 'tight'])
    // A low draw for the roomy node (0.01^(1/0.9) ≈ 0.006) loses to a high one for the tight (0.99^20 ≈ 0.82).
    const draws = [0.01, 0.99]
    expect(names(rankNodes(nodes, wanted, 1, () => draws.shift()!))).toEqual(['tight', 'roomy'])
  })
})

describe('deploymentBlocker (spec 02 §8.3 step 6)', () => {
  test('null when one open node has room for both', () => {
    expect(deploymentBlocker([usage(node('a', 4000, 4000), 0, 0)], wanted)).toBeNull()
  })
  test('maintenance counts as deployment disabled', () => {
    expect(deploymentBlocker([usage(node('a', 4000, 4000, { maintenance_enabled: true }), 0, 0)], wanted)).toBe(
      'deployment is disabled on every node in the selected location(s)',
    )
  })
})
