import nx from '@nx/eslint-plugin';

// One lint config for the whole workspace. Module boundaries are the point: an app may
// depend on shared libs only, never on another app, and shared libs never reach into apps.
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/prisma-client', '**/tmp', '.nx/**', 'coverage/**'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            // End-to-end tests drive the platform with its tools (the city simulator), never with an app.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:connectivity', onlyDependOnLibsWithTags: ['scope:connectivity', 'scope:shared'] },
            { sourceTag: 'scope:devices', onlyDependOnLibsWithTags: ['scope:devices', 'scope:shared'] },
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:data', 'scope:shared'] },
            { sourceTag: 'scope:integration', onlyDependOnLibsWithTags: ['scope:integration', 'scope:shared'] },
            { sourceTag: 'scope:security', onlyDependOnLibsWithTags: ['scope:security', 'scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    // Build and tool configuration imports shared config by path; it is not code crossing a boundary.
    files: ['**/eslint.config.mjs', '**/jest.config.ts', '**/webpack.config.js', '**/prisma.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
];
