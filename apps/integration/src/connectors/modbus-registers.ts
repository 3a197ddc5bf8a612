import type { ModbusRegister } from './connector.dto';

/** How many 16-bit registers (or bits) a value occupies. */
export function widthOf(register: ModbusRegister): number {
  return register.type === 'int32' || register.type === 'uint32' || register.type === 'float32' ? 2 : 1;
}

/** One read request covering a run of registers of one table, so a poll is a few requests, not one per value. */
export interface ReadBlock {
  table: ModbusRegister['table'];
  start: number;
  count: number;
  registers: ModbusRegister[];
}

/** Groups registers into contiguous-enough blocks (gaps up to `maxGap`, at most `maxCount` per read). */
export function readBlocks(registers: readonly ModbusRegister[], maxGap = 8, maxCount = 120): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const byTable = new Map<string, ModbusRegister[]>();
  for (const register of registers)
    byTable.set(register.table, [...(byTable.get(register.table) ?? []), register]);
  for (const [table, list] of byTable) {
    const sorted = [...list].sort((a, b) => a.address - b.address);
    let block: ReadBlock | undefined;
    for (const register of sorted) {
      const end = register.address + widthOf(register);
      if (
        block &&
        register.address - (block.start + block.count) <= maxGap &&
        end - block.start <= maxCount
      ) {
        block.count = Math.max(block.count, end - block.start);
        block.registers.push(register);
      } else {
        block = {
          table: table as ModbusRegister['table'],
          start: register.address,
          count: widthOf(register),
          registers: [register],
        };
        blocks.push(block);
      }
    }
  }
  return blocks;
}

/** The value of a register from its block's words (16-bit, big-endian as on the wire) or bits. */
export function decodeRegister(
  register: ModbusRegister,
  block: ReadBlock,
  words: readonly number[] | readonly boolean[],
): number | boolean {
  const at = register.address - block.start;
  if (register.type === 'bool') return Boolean(words[at]);
  const word = (index: number) => Number(words[at + index] ?? 0) & 0xffff;
  const buffer = Buffer.alloc(4);
  let raw: number;
  if (register.type === 'int16' || register.type === 'uint16') {
    buffer.writeUInt16BE(word(0));
    raw = register.type === 'int16' ? buffer.readInt16BE(0) : buffer.readUInt16BE(0);
  } else {
    const [high, low] = register.wordOrder === 'big' ? [word(0), word(1)] : [word(1), word(0)];
    buffer.writeUInt16BE(high, 0);
    buffer.writeUInt16BE(low, 2);
    raw =
      register.type === 'int32'
        ? buffer.readInt32BE(0)
        : register.type === 'uint32'
          ? buffer.readUInt32BE(0)
          : buffer.readFloatBE(0);
  }
  return raw * register.scale + register.offset;
}
