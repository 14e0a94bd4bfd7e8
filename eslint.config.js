// Lint configuration: the recommended rules of ESLint and typescript-eslint, plus type-aware promise rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // Type-aware: a promise nobody awaits or handles is a call that fails in silence, or an unhandled rejection that
    // ends the process; both are checked from the types, not by hope.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The browser phone's page is a project of its own (DOM types, browser modules): linted with its types.
    files: ['src/transports/browser/page/**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: ['./tsconfig.page.json'], tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
