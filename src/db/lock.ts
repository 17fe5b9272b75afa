import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'

/** The embedded database is open in another live process. */
export class DataDirBusy extends Error {
  constructor(
    public pid: number,
    file: string,
  ) {
    super(`the embedded database is in use by process ${pid} (${file})`)
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * An exclusive pid file: PGlite has a single writer, so one process at a time may open the
 * embedded data directory. A lock left by a dead process is taken over.
 */
export class DataDirLock {
  private constructor(private file: string) {}

  static acquire(file: string): DataDirLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600)
        writeSync(fd, String(process.pid))
        closeSync(fd)
        return new DataDirLock(file)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        const pid = Number(readFileSync(file, 'utf8').trim())
        if (pid && pid !== process.pid && alive(pid)) throw new DataDirBusy(pid, file)
        unlinkSync(file)
      }
    }
    throw new Error(`could not take ${file}`)
  }

  /** The pid holding the lock, if that process is alive. */
  static holder(file: string): number | null {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim())
      return pid && alive(pid) ? pid : null
    } catch {
      return null
    }
  }

  release(): void {
    try {
      if (Number(readFileSync(this.file, 'utf8').trim()) === process.pid) unlinkSync(this.file)
    } catch {}
  }
}
