import { categoryOf, isCidr, refusalOf, STRICT_RULES } from './address-policy';

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['::', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2001:4860:4860::8888', 'public'],
  ])('%s is %s', (address, category) => {
    expect(categoryOf(address)).toBe(category);
  });

  it('refuses every non-public address by default, and says why', () => {
    expect(refusalOf('127.0.0.1', STRICT_RULES)).toBe('127.0.0.1 is a loopback address');
    expect(refusalOf('192.168.0.10', STRICT_RULES)).toBe('192.168.0.10 is a private address');
    expect(refusalOf('169.254.169.254', STRICT_RULES)).toBe('169.254.169.254 is a link-local address');
    expect(refusalOf('0.0.0.0', STRICT_RULES)).toMatch(/reserved/);
    expect(refusalOf('93.184.216.34', STRICT_RULES)).toBeUndefined();
  });

  it('lets a tenant reach exactly what it was allowed', () => {
    const loopback = { ...STRICT_RULES, allowLoopback: true };
    expect(refusalOf('127.0.0.1', loopback)).toBeUndefined();
    expect(refusalOf('::ffff:127.0.0.1', loopback)).toBeUndefined();
    expect(refusalOf('10.0.0.1', loopback)).toMatch(/private/);
    const scada = { ...STRICT_RULES, allowedNetworks: ['10.20.0.0/16'] };
    expect(refusalOf('10.20.3.4', scada)).toBeUndefined();
    expect(refusalOf('10.21.3.4', scada)).toMatch(/private/);
    expect(refusalOf('0.0.0.0', { ...STRICT_RULES, allowLoopback: true, allowPrivate: true })).toMatch(
      /reserved/,
    );
  });

  it('validates CIDRs', () => {
    expect(isCidr('10.0.0.0/8')).toBe(true);
    expect(isCidr('fd00::/8')).toBe(true);
    expect(isCidr('10.0.0.0/33')).toBe(false);
    expect(isCidr('10.0.0.0')).toBe(false);
    expect(isCidr('example.org/8')).toBe(false);
  });
});
