const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('path');

/**
 * The webpack config of every service (`apps/<svc>/webpack.config.js` calls this with its dir).
 * The generated Prisma client (src/prisma-client) is TypeScript and is bundled like the rest of
 * the app; its runtime and WASM query compiler come from @prisma/client, an external dependency
 * listed in the generated package.json. prisma/ (schema + migrations) ships next to main.js so an
 * image can run `prisma migrate deploy`. node_modules stay external, so OpenTelemetry can patch them.
 */
module.exports = function serviceWebpackConfig(appDir) {
  return {
    output: {
      path: join(appDir, '../../dist/apps', basename(appDir)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets: [{ input: './prisma', glob: '**/*', output: 'prisma' }],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  };
};
