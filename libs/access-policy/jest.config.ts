export default {
  displayName: 'access-policy',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // the integration suite starts the dev broker
  testTimeout: 60_000,
};
