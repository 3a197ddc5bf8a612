// Jest (on Node < 24.9) cannot require ES modules; Node itself can (20.19+). @fastify/static,
// which serves the Swagger UI at /docs, depends on the ESM-only content-disposition 3, so the
// test runs of the runtime and of every service transpile that one package to CommonJS.
// Spread into a project's jest.config.ts; remove once Jest runs on Node >= 24.9.
const path = require('node:path');

const { transform } = require(path.join(__dirname, '..', '..', 'jest.preset.js'));

module.exports = {
  transform: {
    ...transform,
    '/node_modules/(.*/)?content-disposition/dist/.+\\.js$': [
      'ts-jest',
      {
        tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022' },
        isolatedModules: true,
        diagnostics: false,
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(.*/)?content-disposition/dist/)'],
};
