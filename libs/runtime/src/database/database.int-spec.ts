import { createTestDatabase, type TestDatabase, tsNodeArgs, tsNodeEnv } from '@urbis/testing';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

describe('the service pool when the server cuts its connections', () => {
  let database: TestDatabase;
  beforeAll(async () => (database = await createTestDatabase('runtime_pool')));
  afterAll(() => database?.drop());

  it('survives a connection cut in the middle of a transaction, and serves from fresh ones', async () => {
    // in a child process: an unhandled 'error' event ends a process, which Jest would hide
    const { stdout } = await promisify(execFile)(process.execPath, tsNodeArgs(path.join(__dirname, 'connection-cut.test-helpers.ts'), [database.url]), {
      env: { ...process.env, ...tsNodeEnv() },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ next: 'failed', again: 1 });
  }, 90_000);
});
