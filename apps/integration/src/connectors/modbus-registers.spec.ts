import { modbusRegister } from './connector.dto';
import { decodeRegister, readBlocks } from './modbus-registers';

const reg = (input: Record<string, unknown>) => modbusRegister.parse(input);

describe('Modbus registers', () => {
  it('groups registers into few reads per table', () => {
    const blocks = readBlocks([
      reg({ name: 'a', address: 0 }),
      reg({ name: 'b', address: 1, type: 'float32' }),
      reg({ name: 'c', address: 100 }),
      reg({ name: 'd', table: 'input', address: 2 }),
      reg({ name: 'e', table: 'coil', address: 5, type: 'bool' }),
    ]);
    expect(
      blocks.map((block) => [block.table, block.start, block.count, block.registers.map((r) => r.name)]),
    ).toEqual([
      ['holding', 0, 3, ['a', 'b']],
      ['holding', 100, 1, ['c']],
      ['input', 2, 1, ['d']],
      ['coil', 5, 1, ['e']],
    ]);
  });

  it('decodes each type, word order, scale and offset', () => {
    const float = Buffer.alloc(4);
    float.writeFloatBE(21.5);
    const words = [0xfff6, float.readUInt16BE(0), float.readUInt16BE(2), 0x0001, 0x0002];
    const block = { table: 'holding' as const, start: 10, count: 5, registers: [] };
    expect(decodeRegister(reg({ name: 'a', address: 10, type: 'int16' }), block, words)).toBe(-10);
    expect(
      decodeRegister(reg({ name: 'a', address: 10, type: 'uint16', scale: 0.1 }), block, words),
    ).toBeCloseTo(6552.6);
    expect(decodeRegister(reg({ name: 'a', address: 11, type: 'float32' }), block, words)).toBe(21.5);
    expect(decodeRegister(reg({ name: 'a', address: 13, type: 'uint32' }), block, words)).toBe(0x00010002);
    expect(
      decodeRegister(reg({ name: 'a', address: 13, type: 'uint32', wordOrder: 'little' }), block, words),
    ).toBe(0x00020001);
    expect(decodeRegister(reg({ name: 'a', address: 13, type: 'int16', offset: -1 }), block, words)).toBe(0);
    const coils = { table: 'coil' as const, start: 0, count: 2, registers: [] };
    expect(
      decodeRegister(reg({ name: 'a', table: 'coil', address: 1, type: 'bool' }), coils, [false, true]),
    ).toBe(true);
  });

  it('refuses a bool holding register and a numeric coil', () => {
    expect(modbusRegister.safeParse({ name: 'a', address: 0, type: 'bool' }).success).toBe(false);
    expect(modbusRegister.safeParse({ name: 'a', table: 'coil', address: 0, type: 'int16' }).success).toBe(
      false,
    );
  });
});
