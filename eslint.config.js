// `npm run lint` (with prettier --check): typescript-eslint's strict type-checked rules where they
// catch real bugs (floating promises, unsafe any, unnecessary conditions), with the few exceptions
// below justified where they are made.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'lib/**', 'node_modules/**', 'bench/results/**', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals with numbers and booleans are how messages are written here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `!` after a lookup that the line before checked: clearer than a re-check the types cannot see.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Unused arguments are named _x on purpose (interfaces fixed by a caller).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
