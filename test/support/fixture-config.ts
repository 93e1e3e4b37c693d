/**
 * The tests' own configuration (test/fixtures/config): made-up model names and short disciplines,
 * so that an operator's edit of the shipped config/ breaks no test. Only test/shipped-config.test.ts
 * reads the shipped files.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const fixtures = resolve(import.meta.dirname, '..', 'fixtures', 'config');

export const FIXTURE_CONFIG_DIR = join(fixtures, 'supervisor');
export const FIXTURE_MODELS_FILE = join(fixtures, 'models.yaml');

/** The models of test/fixtures/config/models.yaml, by role. */
export const MODELS = {
  /** First for review and debug (and the default chain). */
  primary: 'test/primary',
  /** Second for review, debug, retrospective and trainer. */
  fallback: 'test/fallback',
  /** First for spec, retrospective and trainer. */
  planner: 'test/planner',
  /** Last of the default chain only. */
  small: 'test/small',
} as const;

/** The settings that point a server or a CLI at the fixtures. */
export const FIXTURE_ENV = { SUPERVISOR_CONFIG_DIR: FIXTURE_CONFIG_DIR, SUPERVISOR_MODELS_FILE: FIXTURE_MODELS_FILE } as const;

/** A fixture discipline's text, for tests that check what reached the model. */
export const fixtureDiscipline = (name: string): Promise<string> => readFile(join(FIXTURE_CONFIG_DIR, `${name}.md`), 'utf8');
