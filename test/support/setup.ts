/**
 * Runs around every test of every file (vitest setupFiles): each test starts with the fake LiteLLMs
 * as they were started — no behaviour or request left by the test before, even one that failed
 * half-way — and no command line process outlives the test that started it.
 */
import { afterEach, beforeEach } from 'vitest';
import { killLeftoverProcesses } from './cli.js';
import { resetTestFakes } from './fakes.js';

beforeEach(() => {
  resetTestFakes();
});
afterEach(() => {
  killLeftoverProcesses();
});
