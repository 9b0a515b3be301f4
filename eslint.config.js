// ESLint (flat config) for the web app and its unit tests. The app is plain ES modules
// served as static files to the browser; the tests run in Node's own test runner.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/', '.venv/', 'var/', 'build/', 'test-artifacts/', 'tests/support/'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-implicit-globals': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
    },
  },
  { files: ['src/streambet/web/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['tests/js/**/*.js', '*.js'], languageOptions: { globals: globals.node } },
];
