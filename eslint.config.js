// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Import boundaries (DESIGN.md "Layout and the direction of dependencies"). The architecture test
// in test/architecture/ checks the same rules by reading the files, so neither can rot alone.
const electronOrShell = [
  { name: 'electron', message: 'app/ is plain Node: Electron belongs in main/.' },
];
const shellFolders = {
  group: ['**/main/**', '**/renderer/**', '../main', '../renderer'],
  message: 'app/ never imports main/ or renderer/.',
};
const ioModules = [
  'express',
  'openai',
  'http',
  'https',
  'net',
  'fs',
  'fs/promises',
  'child_process',
  'node:http',
  'node:https',
  'node:net',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:dgram',
  'node:tls',
].map((name) => ({
  name,
  allowTypeImports: true,
  message: 'app/translate/ is pure: no I/O. Take what you need as an argument.',
}));

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [
          './tsconfig.app.json',
          './tsconfig.main.json',
          './tsconfig.renderer.json',
          './tsconfig.test.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: electronOrShell, patterns: [shellFolders] }],
    },
  },
  {
    files: ['app/translate/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [...electronOrShell, ...ioModules], patterns: [shellFolders] },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to main only via the preload.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer is browser code: no Node modules.' },
            {
              group: ['**/app/**', '**/main/**'],
              allowTypeImports: true,
              message: 'The renderer may import only types from app/ and main/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Vitest's asymmetric matchers (expect.any, expect.stringContaining) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
