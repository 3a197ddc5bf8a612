import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { findRepoRoot } from './repo-root';

/** A running tools/dev-idp (the local stand-in for Keycloak), started as a child process. */
export interface DevIdp {
  /** `http://127.0.0.1:<port>/realms/<realm>`: the tokens' `iss`, and the realm URL for AuthModule. */
  readonly issuer: string;
  /** The server's base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** client_credentials grant; resolves to the access token. */
  token(clientId: string, secret: string): Promise<string>;
  /** password grant (Keycloak's direct access grant); resolves to the access token. */
  passwordToken(clientId: string, secret: string, username: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartDevIdpOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Keycloak realm export to serve; default deploy/keycloak/urbis-realm.json. */
  realmFile?: string;
  /** Extra environment, e.g. `${URBIS_..._SECRET}` values the realm file refers to. */
  env?: Record<string, string>;
  /** How long to wait for the ready line. Default 20 s. */
  startTimeoutMs?: number;
  /**
   * Run in its own process group, so that a terminal's Ctrl-C reaches only the parent, which
   * then stops its components in order (the local stack). Default false.
   */
  detached?: boolean;
}

const READY = /^DEV-IDP ready (\S+)$/m;

export async function startDevIdp(options: StartDevIdpOptions = {}): Promise<DevIdp> {
  const root = findRepoRoot();
  const args = [join(root, 'tools/dev-idp/main.mjs'), '--port', String(options.port ?? 0), '--host', '127.0.0.1'];
  if (options.realmFile) args.push('--realm-file', resolve(options.realmFile));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  // never outlive the test process, even if a suite forgets stop()
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      done();
    }),
  );

  const issuer = await waitForReady(child, options.startTimeoutMs ?? 20_000).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });
  const url = new URL(issuer).origin;
  const tokenEndpoint = `${issuer}/protocol/openid-connect/token`;

  const requestToken = async (clientId: string, secret: string, form: Record<string, string>): Promise<string> => {
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new Error(`dev-idp token request for ${clientId} failed: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
    }
    return body.access_token;
  };

  return {
    issuer,
    url,
    token: (clientId, secret) => requestToken(clientId, secret, { grant_type: 'client_credentials' }),
    passwordToken: (clientId, secret, username, password) =>
      requestToken(clientId, secret, { grant_type: 'password', username, password }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolveReady, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => finish(new Error(`dev-idp not ready after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    const onStdout = (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = READY.exec(stdout);
      if (match) finish(undefined, match[1]);
    };
    const onStderr = (chunk: Buffer) => {
      stderr += chunk.toString();
    };
    const onExit = (code: number | null) => finish(new Error(`dev-idp exited (${code}) before it was ready\n${stderr}`));
    function finish(err: Error | undefined, issuer?: string) {
      clearTimeout(timer);
      child.stdout?.off('data', onStdout);
      child.off('exit', onExit);
      // keep draining both pipes so the child never blocks on a full pipe
      child.stdout?.resume();
      if (err) reject(err);
      else resolveReady(issuer as string);
    }
    child.stdout?.on('data', onStdout);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
  });
}
