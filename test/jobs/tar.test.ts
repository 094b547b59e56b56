import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tarImages } from '../../src/jobs/tar-index'
import { tarStream, type TarEntry } from '../../src/jobs/tar-writer'
import { tarOf } from '../helpers/jobs'

const dir = mkdtempSync(join(tmpdir(), 'bun-infer-tar-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const entry = (name: string, text: string): TarEntry => {
  const bytes = new TextEncoder().encode(text)
  return { name, size: bytes.length, bytes: async () => bytes }
}
const longName = `${'folder-with-a-long-name/'.repeat(6)}photo.jpg`

async function saved(stream: ReadableStream<Uint8Array>, name: string) {
  const path = join(dir, name)
  await Bun.write(path, new Response(stream))
  return path
}

describe('tar archives', () => {
  test('what tarStream writes, GNU tar lists and tarImages reads back, long names included', async () => {
    const path = await saved(tarStream([entry('a.jpg', 'first'), entry(longName, 'second'), entry('empty.png', '')]), 'written.tar')
    const listed = Bun.spawnSync(['tar', '-tf', path]).stdout.toString().trim().split('\n')
    expect(listed).toEqual(['a.jpg', longName, 'empty.png'])
    const file = Bun.file(path)
    const images = await tarImages(file, 0, file.size, 10)
    expect(images.map((i) => i.name)).toEqual(['a.jpg', longName, 'empty.png'])
    expect(await file.slice(images[1]!.offset, images[1]!.offset + images[1]!.length).text()).toBe('second')
  })

  test('tarImages reads what GNU tar writes, its long names included', async () => {
    const long = `${'a-long-file-name-'.repeat(8)}.jpg`
    const files = [
      { name: 'x.jpg', bytes: new TextEncoder().encode('x') },
      { name: long, bytes: new TextEncoder().encode('yy') }
    ]
    const path = join(dir, 'gnu.tar')
    writeFileSync(path, tarOf(files))
    const file = Bun.file(path)
    const images = await tarImages(file, 0, file.size, 10)
    expect(images.map((i) => [i.name, i.length])).toEqual([
      ['x.jpg', 1],
      [long, 2]
    ])
  })

  test('more files than allowed: too_many_images; a file past the end: malformed_request', async () => {
    const path = await saved(tarStream([entry('a', '1'.repeat(2000)), entry('b', '2'), entry('c', '3')]), 'three.tar')
    const file = Bun.file(path)
    await expect(tarImages(file, 0, file.size, 2)).rejects.toMatchObject({ code: 'too_many_images' })
    await expect(tarImages(file, 0, 1500, 10)).rejects.toMatchObject({ code: 'malformed_request' })
  })
})
