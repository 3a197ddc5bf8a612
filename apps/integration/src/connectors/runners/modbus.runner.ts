import * as Modbus from 'jsmodbus';
import { Socket } from 'node:net';
import type { z } from 'zod';
import type { modbusConfig } from '../connector.dto';
import { decodeRegister, readBlocks, type ReadBlock } from '../modbus-registers';
import { Backoff, type ConnectorRunner, type RunnerContext, Sleeper } from './runner';

type Config = z.output<typeof modbusConfig>;
type ModbusClient = InstanceType<typeof Modbus.client.TCP>;

/**
 * Polls a Modbus TCP device: one connection, a few block reads per poll, values decoded with
 * their type, word order, scale and offset. A lost connection or a timed-out read is reported
 * and the connection is made again with backoff; the address is checked by the destination guard.
 */
export class ModbusRunner implements ConnectorRunner {
  private stopped = false;
  private paused = false;
  private loop?: Promise<void>;
  private socket?: Socket;
  private readonly sleeper = new Sleeper();
  private readonly backoff: Backoff;
  private readonly blocks: ReadBlock[];

  constructor(
    private readonly ctx: RunnerContext,
    private readonly config: Config,
  ) {
    this.backoff = new Backoff(ctx.reconnect);
    this.blocks = readBlocks(config.registers);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    this.socket?.destroy();
    await this.loop;
    this.ctx.report.set('stopped');
  }

  async setPaused(paused: boolean): Promise<void> {
    this.paused = paused;
    if (paused) this.ctx.report.set('paused');
    this.sleeper.wake();
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      try {
        const { client, closed } = await this.connect();
        if (!first) this.ctx.report.reconnects++;
        first = false;
        this.backoff.reset();
        await this.pollWhileConnected(client, closed);
      } catch (error) {
        if (this.stopped) break;
        this.ctx.report.fail(error);
      } finally {
        this.socket?.destroy();
        this.socket = undefined;
      }
      if (!this.stopped) await this.sleeper.sleep(this.backoff.next());
    }
  }

  private async connect(): Promise<{ client: ModbusClient; closed: Promise<void> }> {
    const checked = await this.ctx.guard.check(this.ctx.tenant, this.config.host);
    const socket = new Socket();
    this.socket = socket;
    const client = new Modbus.client.TCP(socket, this.config.unitId, this.config.timeoutMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(
            `no connection to ${this.config.host}:${this.config.port} within ${this.config.timeoutMs} ms`,
          ),
        );
      }, this.config.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new Error(`Modbus connection to ${this.config.host}:${this.config.port} failed: ${error.message}`),
        );
      });
      socket.connect({ host: checked.address, port: this.config.port, family: checked.family });
    });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { client, closed };
  }

  private async pollWhileConnected(client: ModbusClient, closed: Promise<void>): Promise<void> {
    let open = true;
    void closed.then(() => {
      open = false;
      this.sleeper.wake();
    });
    while (!this.stopped && open) {
      if (!this.paused) {
        await this.poll(client);
        if (!open)
          throw new Error(`Modbus device ${this.config.host}:${this.config.port} closed the connection`);
      }
      await this.sleeper.sleep(this.paused ? 3_600_000 : this.config.pollIntervalMs);
    }
    if (!this.stopped)
      throw new Error(`Modbus device ${this.config.host}:${this.config.port} closed the connection`);
  }

  private async poll(client: ModbusClient): Promise<void> {
    const values: Record<string, number | boolean> = {};
    for (const block of this.blocks) {
      const words = await this.read(client, block);
      for (const register of block.registers) values[register.name] = decodeRegister(register, block, words);
    }
    const receivedAt = new Date();
    if (!this.paused) this.ctx.report.set('running');
    await this.ctx.emit(
      {
        values,
        unitId: this.config.unitId,
        receivedAt: receivedAt.toISOString(),
        connector: { id: this.ctx.connectorId, name: this.ctx.name },
      },
      receivedAt,
    );
  }

  private async read(client: ModbusClient, block: ReadBlock): Promise<number[] | boolean[]> {
    try {
      switch (block.table) {
        case 'holding':
          return (await client.readHoldingRegisters(block.start, block.count)).response.body
            .valuesAsArray as number[];
        case 'input':
          return (await client.readInputRegisters(block.start, block.count)).response.body
            .valuesAsArray as number[];
        case 'coil':
          return (
            (await client.readCoils(block.start, block.count)).response.body.valuesAsArray as number[]
          ).map(Boolean);
        case 'discrete':
          return (
            (await client.readDiscreteInputs(block.start, block.count)).response.body
              .valuesAsArray as number[]
          ).map(Boolean);
      }
    } catch (error) {
      const detail =
        (error as { message?: string; err?: string }).message ??
        (error as { err?: string }).err ??
        String(error);
      // A timed-out or refused read leaves the connection in an unknown state: start again.
      this.socket?.destroy();
      throw new Error(`Modbus read of ${block.table} ${block.start}+${block.count} failed: ${detail}`);
    }
  }
}
