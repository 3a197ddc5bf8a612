import { Injectable, type OnModuleDestroy } from '@nestjs/common';

interface Block {
  until: number;
  enforcementId: string;
  timer: NodeJS.Timeout;
}

/** `::ffff:203.0.113.7` and `203.0.113.7` are one peer. */
export function normaliseAddress(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/**
 * Source addresses security asked this replica to refuse, each until its time is up. Checked
 * before any token is: a blocked address costs no scrypt. In memory, rebuilt on start from the
 * enforcement topic (each replica reads it whole).
 */
@Injectable()
export class AddressBlocklist implements OnModuleDestroy {
  private readonly blocks = new Map<string, Block>();

  /** Blocks `address` until `until` (ms); `onLifted` runs when the time is up. */
  block(address: string, until: number, enforcementId: string, onLifted: () => void): void {
    const key = normaliseAddress(address);
    const current = this.blocks.get(key);
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => {
      if (this.blocks.get(key)?.enforcementId !== enforcementId) return;
      this.blocks.delete(key);
      onLifted();
    }, Math.max(0, until - Date.now()));
    timer.unref();
    this.blocks.set(key, { until, enforcementId, timer });
  }

  /** Lifts a block before its time; returns whether there was one. */
  unblock(address: string): boolean {
    const key = normaliseAddress(address);
    const current = this.blocks.get(key);
    if (!current) return false;
    clearTimeout(current.timer);
    this.blocks.delete(key);
    return true;
  }

  /** When the address's block ends (ms), or undefined when it is not blocked. */
  blockedUntil(address: string, now = Date.now()): number | undefined {
    const block = this.blocks.get(normaliseAddress(address));
    return block && block.until > now ? block.until : undefined;
  }

  onModuleDestroy(): void {
    for (const block of this.blocks.values()) clearTimeout(block.timer);
    this.blocks.clear();
  }
}
