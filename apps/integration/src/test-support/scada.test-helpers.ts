// Real SCADA-side servers for the connector tests: an OPC UA server (node-opcua) with a pump's
// variables, and a Modbus TCP server (jsmodbus) with holding registers, each able to go down and
// come back on the same port.
import * as Modbus from 'jsmodbus';
import { Server as NetServer, type Socket } from 'node:net';
import type { OPCUACertificateManager, OPCUAServer } from 'node-opcua';

export class OpcuaTestServer {
  pressure = 1.5;
  private server?: OPCUAServer;
  private certificates?: OPCUACertificateManager;

  constructor(
    readonly port: number,
    private readonly pkiDir: string,
  ) {}

  get url(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const opcua = await import('node-opcua');
    this.certificates = new opcua.OPCUACertificateManager({
      rootFolder: this.pkiDir,
      automaticallyAcceptUnknownCertificate: true,
    });
    const server = new opcua.OPCUAServer({ port: this.port, serverCertificateManager: this.certificates });
    await server.initialize();
    const namespace = server.engine.addressSpace?.getOwnNamespace();
    const objects = server.engine.addressSpace?.rootFolder.objects;
    if (!namespace || !objects) throw new Error('OPC UA address space not ready');
    const pump = namespace.addObject({ organizedBy: objects, browseName: 'Pump1' });
    namespace.addVariable({
      componentOf: pump,
      nodeId: 's=Pump1.Pressure',
      browseName: 'Pressure',
      dataType: 'Double',
      minimumSamplingInterval: 100,
      value: { get: () => new opcua.Variant({ dataType: opcua.DataType.Double, value: this.pressure }) },
    });
    await server.start();
    this.server = server;
  }

  async stop(): Promise<void> {
    await this.server?.shutdown(0);
    await this.certificates?.dispose();
    this.server = undefined;
    this.certificates = undefined;
  }
}

export class ModbusTestServer {
  readonly holding = Buffer.alloc(200);
  private server?: NetServer;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number) {}

  setUInt16(address: number, value: number): void {
    this.holding.writeUInt16BE(value, address * 2);
  }

  setFloat(address: number, value: number): void {
    this.holding.writeFloatBE(value, address * 2);
  }

  async start(): Promise<void> {
    const server = new NetServer();
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    new Modbus.server.TCP(server, { holding: this.holding });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
