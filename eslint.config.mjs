// ESLint for the whole monorepo: `npm run lint` (with Prettier's check), `npm run format` to fix.
// TypeScript gets typescript-eslint's type-checked recommended rules against one program
// (tsconfig.eslint.json) that holds sources and tests alike; plain JavaScript (bench and dev scripts,
// the CLI launcher, test fixtures) gets ESLint's recommended rules with Node's CommonJS globals.
// eslint-config-prettier comes last so that layout is Prettier's business only.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const typescriptFiles = ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'apps/*/src/**/*.ts', 'test/**/*.ts'];
const testFiles = ['packages/*/test/**/*.ts', 'test/**/*.ts'];

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', '**/coverage/', '.kafka/', '.redis/', '.turbo/', '.build-logs/', '.ci/'] },
  {
    files: typescriptFiles,
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: testFiles,
    rules: {
      // `expect(obj.method).toHaveBeenCalled()` passes a method without calling it; jest never invokes it unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
  prettier,
);
