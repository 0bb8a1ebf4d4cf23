// Lint: type-aware rules that catch the bugs this codebase is most exposed to (a forgotten await on a
// queue write, a switch that misses a new status). Architecture boundaries live in .dependency-cruiser.cjs.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.dependency-cruiser.cjs',
      'dist/',
      'node_modules/',
      'bin/',
      'test-output/',
      '.exodus/',
      '.stryker-tmp/',
      'reports/',
      'deploy/aws/cdk.out/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // Ports are async because most engines are; the SQLite engine answers synchronously inside
      // `async` methods on purpose (a throw becomes a rejection), so "async without await" is normal here.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A module's face names what it exports: `export *` hides it, and re-exports whatever is added later.
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Name what the module exports.' }],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
