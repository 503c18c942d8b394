// One lint setup for the whole monorepo (flat config, typescript-eslint).
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/proto/src/gen/**',
      'packages/config/src/generated/**',
      '**/*.d.ts',
      '.turbo/**',
      '.node/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // CommonJS launchers (see cli/bin/sylk.cjs for why).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The CLI and the scripts talk to a terminal; tests may print diagnostics.
    files: ['cli/**', 'scripts/**', 'test/**', '**/*.test.ts', '**/bin/**', 'packages/emulator/src/main.ts'],
    rules: { 'no-console': 'off' },
  },
);
