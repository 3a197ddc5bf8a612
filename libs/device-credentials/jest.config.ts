export default {
  displayName: 'device-credentials',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
