import { ARTIFACT_NAME_LIMITS, artifactNameProblem, newRunId, type StoreWith } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { pseudoRandomBytes, utf8 } from '../fixtures.js'
import { CLOCK_SLACK_MS, expectBytes, expectWeftError, type StoreSuite } from './helpers.js'

/** The `artifacts` capability: files that tasks produce, kept with their run. */
export function describeArtifacts(suite: StoreSuite): void {
  const { createRun } = suite
  describe('artifacts', () => {
    let store: StoreWith<'artifacts'>
    beforeEach(() => {
      store = suite.store as StoreWith<'artifacts'>
    })

    it('refuses names that could point outside the run', async () => {
      const { runId } = await createRun()
      for (const name of ['', '/etc/passwd', '../escape.txt', 'a/../../b', 'a//b', './x']) {
        await expectWeftError(store.artifacts.put({ runId, name, data: utf8('x') }), 'input_invalid')
      }
      expect(await store.artifacts.list(runId)).toEqual([])
    })

    it('refuses every name the shared rule refuses, with input_invalid naming the rule', async () => {
      const { runId } = await createRun()
      const { maxSegmentBytes } = ARTIFACT_NAME_LIMITS
      const refused: [string, string][] = [
        ['', 'empty'],
        ['/abs.txt', 'absolute'],
        ['C:/x.txt', 'absolute'],
        ['a\\b.txt', 'backslash'],
        ['nul\u0000byte.txt', 'control_character'],
        ['line\nbreak.txt', 'control_character'],
        ['del\u007f.txt', 'control_character'],
        ['lone\ud800.txt', 'unpaired_surrogate'],
        ['a//b.txt', 'empty_segment'],
        ['dir/', 'empty_segment'],
        ['a/./b.txt', 'dot_segment'],
        ['a/../b.txt', 'dot_segment'],
        [`${'x'.repeat(maxSegmentBytes + 1)}.txt`, 'segment_too_long'],
        // 128 three-byte characters: 384 bytes, under 255 characters but over 255 bytes.
        [`dir/${'€'.repeat(128)}`, 'segment_too_long'],
        [Array.from({ length: 8 }, () => 'y'.repeat(200)).join('/'), 'name_too_long'],
      ]
      for (const [name, rule] of refused) {
        expect(artifactNameProblem(name)?.rule, JSON.stringify(name)).toBe(rule)
        const err = await store.artifacts.put({ runId, name, data: utf8('x') }).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(err, `${JSON.stringify(name).slice(0, 60)} was accepted`).toMatchObject({
          name: 'WeftError',
          code: 'input_invalid',
          details: { rule },
        })
      }
      expect(await store.artifacts.list(runId)).toEqual([])
      expect(await store.artifacts.get(runId, 'nul\u0000byte.txt')).toBeUndefined()
    })

    it('keeps names at the bounds: a 255-byte segment and a long nested name', async () => {
      const { runId } = await createRun()
      const { maxSegmentBytes, maxNameBytes } = ARTIFACT_NAME_LIMITS
      // 125 two-byte characters, 'z' and '.txt': exactly maxSegmentBytes bytes.
      const longSegment = `${'é'.repeat((maxSegmentBytes - 5) / 2)}z.txt`
      const names = [
        longSegment,
        // Nested folders up to the total bound (segments of 200 bytes).
        Array.from({ length: 5 }, (_, i) => `${i}`.repeat(200)).join('/'),
        'unicode/ünï — 🧵 report.md',
      ]
      expect(Buffer.byteLength(names[1]!, 'utf8')).toBeLessThanOrEqual(maxNameBytes)
      for (const name of names) {
        expect(artifactNameProblem(name), name).toBeUndefined()
        await store.artifacts.put({ runId, name, data: utf8(name) })
        expectBytes((await store.artifacts.get(runId, name))?.data, utf8(name))
      }
      expect((await store.artifacts.list(runId)).map((a) => a.name).sort()).toEqual([...names].sort())
    })

    it('round-trips text bytes and describes them', async () => {
      const { runId } = await createRun()
      const data = utf8('# Report\n\nAll good — 🧵\n')
      const before = Date.now()
      const ref = await store.artifacts.put({
        runId,
        taskId: 'a',
        name: 'report.md',
        contentType: 'text/markdown',
        data,
      })
      expect(ref).toMatchObject({
        runId,
        taskId: 'a',
        name: 'report.md',
        contentType: 'text/markdown',
        size: data.byteLength,
      })
      const created = Date.parse(ref.createdAt)
      expect(created).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS)
      expect(created).toBeLessThanOrEqual(Date.now() + CLOCK_SLACK_MS)

      const back = await store.artifacts.get(runId, 'report.md')
      expect(back?.ref).toEqual(ref)
      expectBytes(back?.data, data)
      expect(await store.artifacts.list(runId)).toEqual([ref])
    })

    it('round-trips binary, empty, large and partial-view data exactly', async () => {
      const { runId } = await createRun()
      // Every byte value, NULs and sequences that are not valid UTF-8.
      const binary = new Uint8Array([
        ...Array.from({ length: 256 }, (_, i) => i),
        0,
        0,
        0xff,
        0xfe,
        0x80,
        0xc3,
        0x28,
        0xed,
        0xa0,
        0x80,
      ])
      const empty = new Uint8Array(0)
      const large = pseudoRandomBytes(512 * 1024)
      // A view into a bigger buffer: only the viewed bytes are the artifact.
      const backing = pseudoRandomBytes(64, 7)
      const view = backing.subarray(10, 30)

      const refs = {
        binary: await store.artifacts.put({ runId, name: 'blob.bin', data: binary }),
        empty: await store.artifacts.put({
          runId,
          name: 'empty.txt',
          contentType: 'text/plain',
          data: empty,
        }),
        large: await store.artifacts.put({ runId, name: 'large.bin', data: large }),
        view: await store.artifacts.put({ runId, name: 'view.bin', data: view }),
      }
      expect(refs.binary.size).toBe(binary.byteLength)
      expect(refs.empty.size).toBe(0)
      expect(refs.large.size).toBe(large.byteLength)
      expect(refs.view.size).toBe(20)
      // Absent optional fields stay absent (not `null`).
      expect(refs.binary.taskId).toBeUndefined()
      expect(refs.binary.contentType).toBeUndefined()

      expectBytes((await store.artifacts.get(runId, 'blob.bin'))?.data, binary)
      expectBytes((await store.artifacts.get(runId, 'empty.txt'))?.data, empty)
      expectBytes((await store.artifacts.get(runId, 'large.bin'))?.data, large)
      expectBytes((await store.artifacts.get(runId, 'view.bin'))?.data, backing.slice(10, 30))
      const emptyBack = await store.artifacts.get(runId, 'empty.txt')
      expect(emptyBack?.ref).toEqual(refs.empty)
      expect((await store.artifacts.get(runId, 'blob.bin'))?.ref.taskId).toBeUndefined()
    })

    it('keeps its own copy: changing the bytes given or returned changes nothing stored', async () => {
      const { runId } = await createRun()
      const data = utf8('original')
      await store.artifacts.put({ runId, name: 'a.txt', data })
      data.fill(0x21)
      const first = await store.artifacts.get(runId, 'a.txt')
      expectBytes(first?.data, utf8('original'))
      first!.data.fill(0x3f)
      expectBytes((await store.artifacts.get(runId, 'a.txt'))?.data, utf8('original'))
    })

    it('replaces an artifact of the same name, description included', async () => {
      const { runId } = await createRun()
      await store.artifacts.put({
        runId,
        taskId: 'a',
        name: 'out.json',
        contentType: 'application/json',
        data: utf8('{"v":1}'),
      })
      const second = await store.artifacts.put({
        runId,
        taskId: 'b',
        name: 'out.json',
        data: utf8('second version'),
      })
      expect(second).toMatchObject({ runId, taskId: 'b', name: 'out.json', size: 14 })
      // Fields absent from the new put are gone, as with task upserts.
      expect(second.contentType).toBeUndefined()
      const back = await store.artifacts.get(runId, 'out.json')
      expect(back?.ref).toEqual(second)
      expectBytes(back?.data, utf8('second version'))
      expect(await store.artifacts.list(runId)).toEqual([second])
    })

    it('lists the artifacts of a run sorted by name, with names that contain folders', async () => {
      const { runId } = await createRun()
      const put = (name: string, text: string, extra: { taskId?: string; contentType?: string } = {}) =>
        store.artifacts.put({ runId, name, data: utf8(text), ...extra })
      // Put out of order on purpose.
      const z = await put('z.txt', 'last', { taskId: 'b', contentType: 'text/plain' })
      const deep = await put('out/deep/data.json', '[1,2,3]', { contentType: 'application/json' })
      const a = await put('a.bin', 'x')
      const report = await put('out/report.md', '# hi', { taskId: 'a', contentType: 'text/markdown' })
      const notes = await put('notes/résumé.txt', 'ünïcode')

      const listed = await store.artifacts.list(runId)
      expect(listed.map((r) => r.name)).toEqual([
        'a.bin',
        'notes/résumé.txt',
        'out/deep/data.json',
        'out/report.md',
        'z.txt',
      ])
      expect(listed).toEqual([a, notes, deep, report, z])
      expect(notes.size).toBe(utf8('ünïcode').byteLength)
      expectBytes((await store.artifacts.get(runId, 'out/deep/data.json'))?.data, utf8('[1,2,3]'))
      expectBytes((await store.artifacts.get(runId, 'notes/résumé.txt'))?.data, utf8('ünïcode'))
      // A folder is not an artifact.
      expect(await store.artifacts.get(runId, 'out')).toBeUndefined()
      expect(await store.artifacts.get(runId, 'out/deep')).toBeUndefined()
    })

    it('keeps artifacts of different runs apart', async () => {
      const one = (await createRun()).runId
      const two = (await createRun()).runId
      await store.artifacts.put({ runId: one, name: 'same.txt', data: utf8('one') })
      await store.artifacts.put({ runId: two, name: 'same.txt', data: utf8('two') })
      await store.artifacts.put({ runId: two, name: 'only-two.txt', data: utf8('2') })
      expectBytes((await store.artifacts.get(one, 'same.txt'))?.data, utf8('one'))
      expectBytes((await store.artifacts.get(two, 'same.txt'))?.data, utf8('two'))
      expect((await store.artifacts.list(one)).map((r) => r.name)).toEqual(['same.txt'])
      expect((await store.artifacts.list(two)).map((r) => r.name)).toEqual(['only-two.txt', 'same.txt'])
      expect(await store.artifacts.get(one, 'only-two.txt')).toBeUndefined()
    })

    it('answers "nothing" for unknown runs and names, and refuses a put to an unknown run', async () => {
      const { runId } = await createRun()
      expect(await store.artifacts.get(runId, 'nope.txt')).toBeUndefined()
      expect(await store.artifacts.list(runId)).toEqual([])
      const unknown = newRunId()
      expect(await store.artifacts.get(unknown, 'a.txt')).toBeUndefined()
      expect(await store.artifacts.list(unknown)).toEqual([])
      await expectWeftError(
        store.artifacts.put({ runId: unknown, name: 'a.txt', data: utf8('x') }),
        'run_not_found',
      )
      expect(await store.artifacts.list(unknown)).toEqual([])
      expect(await store.runs.get(unknown)).toBeUndefined()
      expect(await store.runs.getSpec(unknown)).toBeUndefined()
    })
  })
}
