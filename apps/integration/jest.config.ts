const esmDeps = require('../../libs/runtime/jest.esm-deps.js');

export default {
  displayName: 'integration',
  preset: '../../jest.preset.js',
  rootDir: '.',
  ...esmDeps,
  // Integration tests start PostgreSQL databases, the dev broker and the service.
  testTimeout: 60_000,
};
