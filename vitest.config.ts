import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once per run: the process tests run the command line a user runs.
    globalSetup: ['test/support/build.ts'],
    // Resets the fake LiteLLMs before each test and kills processes a test left running.
    setupFiles: ['test/support/setup.ts'],
    env: {
      // The brain's index threads run the build of the sources under test (made by the global setup
      // above) instead of the sources through tsx: a quarter of a second less for each of the thousands
      // of threads a run starts. The name is BUILT_WORKER_VARIABLE of ingestion/index-thread.ts.
      SUPERVISOR_TEST_BUILT_INDEX_WORKER: fileURLToPath(new URL('./dist/ingestion/index-worker.js', import.meta.url)),
    },
    // Both cores: vitest's default leaves one free, and runs the files one at a time on a 2-core machine
    // (~350 s here against ~240 s with two). The tests wait for events, not for time, so sharing the
    // machine with another file's servers slows them without failing them.
    maxWorkers: 2,
    // Generous: a test waits for events, so these only bound how long a broken one takes to fail,
    // and a loaded 2-core machine must not reach them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
