import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startService, type TestService } from './support/service.js';

let service: TestService;
beforeEach(async () => {
  service = await startService();
});
afterEach(async () => {
  await service.stop();
});

// Large enough that a torn write (half of one version, half of another) would show.
const version = (i: number) => `version ${i}\n${`payload-${i} `.repeat(20_000)}\n`;

describe('concurrent writes to one name', () => {
  it('of 20 simultaneous creates exactly one wins; the others get 409 and the file is whole', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => service.post('/write', { content: version(i), filename: 'race' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const text = await readFile(join(service.knowledge, 'race.md'), 'utf8');
    const winner = Number(/^version (\d+)/.exec(text)?.[1]);
    expect(text).toBe(version(winner));
  });

  it('simultaneous overwrites leave exactly one complete version, never a mix', async () => {
    await service.post('/write', { content: 'seed', filename: 'over' });
    await Promise.all(
      Array.from({ length: 15 }, (_, i) => service.post('/write', { content: version(i), filename: 'over', mode: 'overwrite' })),
    );
    const text = await readFile(join(service.knowledge, 'over.md'), 'utf8');
    expect(text).toBe(version(Number(/^version (\d+)/.exec(text)?.[1])));
    expect((await readdir(service.knowledge)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('no append is lost when 40 arrive at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => service.post('/write', { content: `entry-${i}`, filename: 'journal', mode: 'append' })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(39);
    const text = await readFile(join(service.knowledge, 'journal.md'), 'utf8');
    const entries = text.match(/entry-\d+/g) ?? [];
    expect(entries.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `entry-${i}`).sort());
  });
});
