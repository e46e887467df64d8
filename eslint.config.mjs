// ESLint checks what can be a bug; prettier owns the layout (eslint-config-prettier, last,
// turns off every rule the two could disagree on). TypeScript files are linted with type
// information (the project service reads tsconfig.json); the .mjs scripts (bench/, jest
// set-up, this file) with the plain JavaScript rules, since no tsconfig covers them.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Unused values: an unused argument before a used one is kept (after-used), and a name that
// starts with _ says "unused on purpose", as does a property dropped by `{ a: _, ...rest }`.
const unusedVars = [
  'error',
  {
    args: 'after-used',
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
    ignoreRestSiblings: true,
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.data/',
      'coverage/',
      'test/artifacts/',
      'bench/results/',
      // The client's generated types (npm run openapi) and its build.
      'client/src/schema.ts',
      'client/dist/',
      'client/node_modules/',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      'no-unused-vars': unusedVars,
      'no-unused-expressions': 'error',
    },
  },

  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The rules this config is for (all in recommendedTypeChecked; spelled out so that
      // nobody turns them off by editing the preset list).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': unusedVars,
      '@typescript-eslint/no-unused-expressions': 'error',

      // Off: tsconfig has no noUncheckedIndexedAccess, so to the checker every `rows[0]!` and
      // `const [row] = ...; row!.id` is "unnecessary"; those `!` mark a place where the value can
      // really be missing, and the autofix would delete them (106 of its 122 findings).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',

      // Off: an async function without await is harmless and often deliberate (a method that
      // implements a Promise-returning contract, a throw that must become a rejection). The bug
      // next to it, a promise nobody awaits, is what no-floating-promises catches.
      '@typescript-eslint/require-await': 'off',

      // Numbers, booleans and nullish are allowed by the preset; SqlWhere is allowed too: it is
      // built to be interpolated into SQL (toString() renders its clause).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowAny: true,
          allowBoolean: true,
          allowNullish: true,
          allowNumber: true,
          allowRegExp: true,
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'file', name: 'SqlWhere', path: 'src/common/keyset.ts' },
          ],
        },
      ],
    },
  },

  {
    // The files the @nestjs/swagger CLI plugin reads (nest-cli.json). It copies decorator arguments into the
    // document from the source text, and a negated name (`@Min(-MAX_DELTA)`) makes it throw and drop the whole
    // property without a word (`npm run openapi` then refuses to write the document). A name for the value works.
    files: ['src/**/*.dto.ts', 'src/**/*.query.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "Decorator UnaryExpression[operator='-'][argument.type!='Literal']",
          message:
            'The Swagger CLI plugin drops a property whose decorator takes -NAME: give the value a name of its own.',
        },
      ],
    },
  },

  {
    // Tests read `any` all day: supertest's res.body, pg rows from ad-hoc queries, jest's
    // matchers. Flagging each member access on those is noise (about 660 findings), and a
    // wrong field fails the test anyway. The promise and unused-value rules stay on here:
    // an un-awaited request or assertion is exactly the test that cannot fail.
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // expect(service.method).toHaveBeenCalled() passes a method without its `this` by design.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  prettier,
);
