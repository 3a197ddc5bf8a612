import { ConfigError, parseConfig } from '@urbis/runtime';
import { randomBytes } from 'node:crypto';
import { configSchema } from './config';

const production = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/urbis_security', KAFKA_BROKERS: 'k:9092', OIDC_ISSUER_URL: 'https://sso/realms/urbis' };

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(configSchema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.variable}: ${p.problem}`);
  }
}

describe('security config', () => {
  it('refuses production without a ledger signing key (the development key is public)', () => {
    expect(problems(production)).toEqual([expect.stringMatching(/^LEDGER_SIGNING_KEY: required when NODE_ENV=production/)]);
  });

  it('accepts the base64 of a 32-byte Ed25519 seed, or a PKCS#8 PEM', () => {
    const seed = randomBytes(32).toString('base64');
    const config = parseConfig(configSchema, { ...production, LEDGER_SIGNING_KEY: seed });
    expect(config.ledger).toMatchObject({ developmentKey: false });
    expect(config.ledger.signingKey.asymmetricKeyType).toBe('ed25519');
    const pem = config.ledger.signingKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(parseConfig(configSchema, { ...production, LEDGER_SIGNING_KEY: pem }).ledger.signingKey.asymmetricKeyType).toBe('ed25519');
  });

  it('names a malformed key without echoing it, and bad thresholds', () => {
    const found = problems({ LEDGER_SIGNING_KEY: 'c2hvcnQtc2VjcmV0LXZhbHVl', DETECT_DEVICE_AUTH_FAILURES: 'ten' });
    expect(found).toEqual([
      expect.stringMatching(/^LEDGER_SIGNING_KEY: expected an Ed25519 private key/),
      expect.stringMatching(/^DETECT_DEVICE_AUTH_FAILURES: expected <count>\/<seconds>/),
    ]);
    expect(found.join('\n')).not.toContain('c2hvcnQtc2VjcmV0LXZhbHVl');
  });

  it('defaults to the development key and the documented thresholds', () => {
    const config = parseConfig(configSchema, {});
    expect(config.ledger.developmentKey).toBe(true);
    expect(config.detection.thresholds['device-auth-failures']).toEqual({ count: 10, windowSeconds: 60 });
  });
});
