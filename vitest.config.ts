import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once per run: the process tests run the command line a user runs.
    globalSetup: ['test/support/build.ts'],
    // Resets the fake LiteLLMs before each test and kills processes a test left running.
    setupFiles: ['test/support/setup.ts'],
    // Generous: a test waits for events, so these only bound how long a broken one takes to fail,
    // and a loaded 2-core machine must not reach them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
