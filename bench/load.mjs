// The load generator, run with Node in its own process so it never shares an event loop or a
// CPU scheduler slot with the servers it measures. Usage:
//   node bench/load.mjs '{"url":"http://127.0.0.1:8000/api/settings","connections":32,"duration":10,"headers":{}}'
// Prints one JSON object: requests, seconds, rps, p50/p99 (ms), status counts, errors, cpu seconds.
import autocannon from 'autocannon'

const { url, connections, duration, headers = {} } = JSON.parse(process.argv[2] ?? '{}')
if (!url || !connections || !duration) {
  console.error('usage: node bench/load.mjs \'{"url":…,"connections":32,"duration":10,"headers":{}}\'')
  process.exit(2)
}

// autocannon's own histogram has 1 ms resolution; local responses take well under that, so keep
// every latency (a few MB at most) and take exact percentiles.
let latencies = new Float64Array(1 << 20)
let count = 0
const record = (ms) => {
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2)
    grown.set(latencies)
    latencies = grown
  }
  latencies[count++] = ms
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null)

// Startup (module loading, WebAssembly) is not part of the load the generator had to produce.
const cpuStart = process.cpuUsage()
const instance = autocannon({ url, connections, duration, headers }, (error, result) => {
  if (error) {
    console.error(error)
    process.exit(1)
  }
  const sorted = latencies.subarray(0, count).sort()
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count: n }]) => [code, n]))
  const cpu = process.cpuUsage(cpuStart)
  process.stdout.write(
    JSON.stringify({
      requests: result.requests.total,
      seconds: result.duration,
      rps: result.requests.total / result.duration,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    }) + '\n',
  )
})
instance.on('response', (_client, _status, _bytes, ms) => record(ms))
process.on('SIGTERM', () => instance.stop())
