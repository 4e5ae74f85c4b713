// `npm run lint` (with prettier --check): typescript-eslint's strict type-checked rules where they
// catch real bugs (floating promises, unsafe any, unnecessary conditions), with the few exceptions
// below justified where they are made.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // dist/ and lib/ are bundles; the .mjs files are plain-JS stand-ins for DISM and PowerShell and a
  // Node hook, run by node itself and outside the TypeScript project.
  { ignores: ['dist/**', 'lib/**', 'node_modules/**', '**/*.js', '**/*.mjs', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals with numbers and booleans are how messages are written here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `!` after a lookup that the line before checked: clearer than a re-check the types cannot see.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `(line) => stream.write(line)` and `return reporter.emit(…)` in a void function are the idiom
      // here; the rule found no bug in this code base, only that shape.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Optional chains on child streams and on JSON read from disk are guards the types cannot see
      // (execa's stdout is null when stdio is inherited; a manifest may be hand-edited).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // String(result.stdout): execa's stdout type depends on the options (lines, encoding); the
      // conversion is the guard, and costs nothing.
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // Control characters in a regular expression are the point where one appears here: names, revisions
      // and ISO labels are refused or escaped when they hold one (issues 16.12, 18.5).
      'no-control-regex': 'off',
      // Unused arguments are named _x on purpose (interfaces fixed by a caller).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON results (runCli().json(), manifests, reports) and check their shape with
    // expect(): typing each one first would repeat the assertion, so `any` is allowed there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // Fakes implement async interfaces (sleep, the site's runner) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // These read step summaries, which are Record<string, unknown> until typed summaries land
    // (issue 14 item 3, Step<Options, Plan, Summary>): then this block goes.
    files: ['src/report/junit.ts', 'src/report/diff.ts', 'src/media/build-info.ts', 'src/steps/distribute.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
