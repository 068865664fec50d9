import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { type ArtifactRef, type ArtifactStore, assertArtifactName, WeftError } from '@weft/core'
import { fsyncDir, isTempName, writeFileAtomic } from './atomic.js'
import type { StoreContext } from './context.js'
import { pretty } from './format.js'
import { isSafeRunId, unsafeRunId } from './layout.js'
import { readJson } from './run-files.js'

/** `artifacts.json` beside `artifacts/`: what a file alone cannot say, by artifact name. */
type ArtifactIndex = Record<
  string,
  { taskId?: string; contentType?: string; size: number; createdAt: string }
>

/**
 * Each artifact is a plain file, `runs/<id>/artifacts/<name>` (names may have folders), so a
 * person opens `report.md` with any editor. The files are the truth about which artifacts exist
 * and their size; the index adds task id, content type and creation time. A put writes the file
 * (atomically) before the index, so a crash between the two leaves the new file with the previous
 * metadata (or none), never an index entry for a file that was not written.
 */
export function createArtifactStore(ctx: StoreContext): ArtifactStore {
  const { layout, durability } = ctx

  async function readIndex(runId: string): Promise<ArtifactIndex> {
    return (await readJson<ArtifactIndex>(layout.run(runId).artifactsIndex).catch(() => undefined)) ?? {}
  }

  function toRef(
    runId: string,
    name: string,
    size: number,
    entry: ArtifactIndex[string] | undefined,
    mtime: Date,
  ) {
    const ref: ArtifactRef = {
      runId,
      ...(entry?.taskId !== undefined ? { taskId: entry.taskId } : {}),
      name,
      ...(entry?.contentType !== undefined ? { contentType: entry.contentType } : {}),
      size,
      createdAt: entry?.createdAt ?? mtime.toISOString(),
    }
    return ref
  }

  return {
    async put({ runId, taskId, name, contentType, data }) {
      if (!isSafeRunId(runId)) throw unsafeRunId(runId)
      const segments = artifactSegments(name)
      return ctx.withRunLock(runId, 'artifact', async () => {
        const paths = layout.run(runId)
        if ((await readJson(paths.meta).catch(() => ({}))) === undefined) {
          throw new WeftError('run_not_found', `run ${runId} does not exist`)
        }
        const file = join(paths.artifactsDir, ...segments)
        await mkdir(dirname(file), { recursive: true })
        await writeFileAtomic(file, data, durability)
        await fsyncDir(dirname(file), durability)

        const createdAt = new Date().toISOString()
        const index = await readIndex(runId)
        index[name] = {
          ...(taskId !== undefined ? { taskId } : {}),
          ...(contentType !== undefined ? { contentType } : {}),
          size: data.byteLength,
          createdAt,
        }
        await writeFileAtomic(paths.artifactsIndex, pretty(index), durability)
        await fsyncDir(paths.dir, durability)
        return toRef(runId, name, data.byteLength, index[name], new Date(createdAt))
      })
    },

    async get(runId, name) {
      if (!isSafeRunId(runId)) return undefined
      let segments: string[]
      try {
        segments = artifactSegments(name)
      } catch {
        return undefined
      }
      const file = join(layout.run(runId).artifactsDir, ...segments)
      let data: Buffer
      let mtime: Date
      try {
        ;[data, { mtime }] = await Promise.all([readFile(file), stat(file)])
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined
        throw err
      }
      const index = await readIndex(runId)
      return { ref: toRef(runId, name, data.byteLength, index[name], mtime), data: new Uint8Array(data) }
    },

    async list(runId) {
      if (!isSafeRunId(runId)) return []
      const dir = layout.run(runId).artifactsDir
      let entries: Awaited<ReturnType<typeof readdirFiles>>
      try {
        entries = await readdirFiles(dir)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') return []
        throw err
      }
      const index = await readIndex(runId)
      const refs: ArtifactRef[] = []
      for (const full of entries) {
        const name = relative(dir, full).split(sep).join('/')
        try {
          const info = await stat(full)
          refs.push(toRef(runId, name, info.size, index[name], info.mtime))
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        }
      }
      return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },
  }
}

/** Every file under `dir`, at any depth, except temp files of writes in flight. */
async function readdirFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && !isTempName(e.name))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
}

/**
 * An artifact name is a relative path inside the run's `artifacts/` folder. The shared rule of
 * @weft/spec (`assertArtifactName`: not empty or absolute, no `..`, NUL or control characters, each
 * segment at most 255 UTF-8 bytes, the whole at most 1024) keeps it from pointing elsewhere and
 * keeps the file system from refusing it (ENAMETOOLONG); on top, a segment must not look like this
 * store's temp files, which listings skip.
 */
export function artifactSegments(name: string): string[] {
  assertArtifactName(name)
  const segments = name.split('/')
  if (segments.some(isTempName)) {
    throw new WeftError(
      'input_invalid',
      `invalid artifact name ${JSON.stringify(name)}: the fs store keeps its temp files under names like that`,
      { hint: 'name artifacts like "report.md" or "charts/cost.png"' },
    )
  }
  return segments
}
