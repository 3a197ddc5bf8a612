const esmDeps = require('./jest.esm-deps.js');

export default {
  displayName: 'runtime',
  preset: '../../jest.preset.js',
  rootDir: '.',
  ...esmDeps,
};
