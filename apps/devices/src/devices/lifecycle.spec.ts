import { allowedTransitions, canTransition, LIFECYCLE_STATES } from './lifecycle';

describe('device lifecycle', () => {
  it.each([
    ['provisioned', 'active'],
    ['active', 'suspended'],
    ['suspended', 'active'],
    ['provisioned', 'decommissioned'],
    ['active', 'decommissioned'],
    ['suspended', 'decommissioned'],
  ] as const)('%s → %s is allowed', (from, to) => expect(canTransition(from, to)).toBe(true));

  it.each([
    ['provisioned', 'suspended'],
    ['active', 'provisioned'],
    ['suspended', 'provisioned'],
    ['active', 'active'],
  ] as const)('%s → %s is not', (from, to) => expect(canTransition(from, to)).toBe(false));

  it('decommissioned is final', () => {
    expect(allowedTransitions('decommissioned')).toEqual([]);
    for (const to of LIFECYCLE_STATES) expect(canTransition('decommissioned', to)).toBe(false);
  });
});
