import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // eval/cases: the eval's example projects, flawed on purpose (planted defects, unused code); their checks prove them.
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'eval/cases/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  // The boundary around the ingestion service (docs/brain.md, "Code boundaries"): ingestion/ never imports src/,
  // src/ reaches it only through its public surface, ingestion/index.ts, and common/ (the contract and
  // the helpers both sides share) imports neither. Tests and benchmarks, which measure the parts, may
  // reach anything.
  {
    files: ['ingestion/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/', message: 'ingestion/ must not import from src/: move what both need to common/.' }] }] },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+ingestion/(?!index\\.js$)',
              message: 'Import the ingestion service through ingestion/index.js, its public surface; shared shapes live in common/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+(src|ingestion)/', message: 'common/ is shared by src/ and ingestion/ and imports neither.' }] }],
    },
  },
  {
    // Tests read JSON answers whose shape is what they assert.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
