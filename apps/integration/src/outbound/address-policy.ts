import { BlockList, isIP } from 'node:net';

/** What kind of network an address is on, as far as outbound safety cares. */
export type AddressCategory = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

/** The exceptions a platform admin granted a tenant; everything else non-public is refused. */
export interface DestinationRules {
  allowLoopback: boolean;
  allowPrivate: boolean;
  allowLinkLocal: boolean;
  /** CIDR ranges reachable whatever their category (e.g. a SCADA network). */
  allowedNetworks: readonly string[];
}

export const STRICT_RULES: DestinationRules = {
  allowLoopback: false,
  allowPrivate: false,
  allowLinkLocal: false,
  allowedNetworks: [],
};

const ranges = (list: [string, number, 'ipv4' | 'ipv6'][]): BlockList => {
  const block = new BlockList();
  for (const [network, prefix, family] of list) block.addSubnet(network, prefix, family);
  return block;
};

const CATEGORIES: [Exclude<AddressCategory, 'public'>, BlockList][] = [
  [
    'loopback',
    ranges([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
  ],
  [
    'private',
    ranges([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['100.64.0.0', 10, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
    ]),
  ],
  [
    'link-local',
    ranges([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ]),
  ],
  [
    'reserved',
    ranges([
      ['0.0.0.0', 8, 'ipv4'],
      ['192.0.0.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['224.0.0.0', 4, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['::', 128, 'ipv6'],
      ['ff00::', 8, 'ipv6'],
      ['64:ff9b::', 96, 'ipv6'],
      ['2001:db8::', 32, 'ipv6'],
    ]),
  ],
];

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Normalises an address: IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address it carries. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = MAPPED_V4.exec(bare);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  const version = isIP(bare);
  if (version === 0) throw new Error(`not an IP address: ${address}`);
  return { address: bare, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function categoryOf(address: string): AddressCategory {
  const { address: ip, family } = normalise(address);
  for (const [category, list] of CATEGORIES) if (list.check(ip, family)) return category;
  return 'public';
}

function inNetworks(address: string, networks: readonly string[]): boolean {
  if (networks.length === 0) return false;
  const { address: ip, family } = normalise(address);
  const list = new BlockList();
  for (const cidr of networks) {
    const [network = '', prefix = ''] = cidr.split('/');
    const netFamily = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(network, Number(prefix), netFamily);
  }
  return list.check(ip, family);
}

/** Why an address is refused for these rules, or undefined when it may be reached. */
export function refusalOf(address: string, rules: DestinationRules): string | undefined {
  if (inNetworks(address, rules.allowedNetworks)) return undefined;
  const category = categoryOf(address);
  switch (category) {
    case 'public':
      return undefined;
    case 'loopback':
      return rules.allowLoopback ? undefined : `${address} is a loopback address`;
    case 'private':
      return rules.allowPrivate ? undefined : `${address} is a private address`;
    case 'link-local':
      return rules.allowLinkLocal ? undefined : `${address} is a link-local address`;
    case 'reserved':
      return `${address} is a reserved, multicast or unspecified address`;
  }
}

/** A CIDR accepted in `allowedNetworks`: an IP address and a prefix length valid for its family. */
export function isCidr(value: string): boolean {
  const [network = '', prefix, ...rest] = value.split('/');
  if (rest.length > 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const version = isIP(network);
  return version !== 0 && Number(prefix) <= (version === 4 ? 32 : 128);
}
