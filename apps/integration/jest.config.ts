const esmDeps = require('../../libs/runtime/jest.esm-deps.js');

// node-opcua depends on the ESM-only hexy; Jest (Node < 24.9) transpiles it like the runtime's
// ESM dependencies (Node itself requires it fine, so the built service needs nothing).
const ESM_ONLY = ['content-disposition/dist', 'hexy'];
const esmTransform = [
  'ts-jest',
  { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022' }, isolatedModules: true, diagnostics: false },
];

export default {
  displayName: 'integration',
  preset: '../../jest.preset.js',
  rootDir: '.',
  ...esmDeps,
  transform: { ...esmDeps.transform, '/node_modules/hexy/.+\\.js$': esmTransform },
  transformIgnorePatterns: [`/node_modules/(?!(.*/)?(${ESM_ONLY.join('|')})/)`],
  // Integration tests start PostgreSQL databases, the dev broker and the service.
  testTimeout: 60_000,
};
