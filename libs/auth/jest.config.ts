export default {
  displayName: 'auth',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // jose (used by the tests to forge tokens) ships ESM only: let ts-jest transpile it to CommonJS.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // integration suites start real dev-idp processes
  testTimeout: 30_000,
};
