import { Module } from '@nestjs/common';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { DevicesConfig } from '../config';
import { DevicesModule } from '../devices/devices.module';
import { CommandSweeper } from './command-sweeper';
import { CommandsController } from './commands.controller';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';

export const COMMAND_RESPONSES_WORKER = Symbol.for('urbis.devices.command-responses');

@Module({
  imports: [DevicesModule],
  controllers: [CommandsController],
  providers: [
    CommandsRepository,
    CommandsService,
    {
      provide: CommandSweeper,
      inject: [CommandsRepository, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle],
      useFactory: (
        commands: CommandsRepository,
        config: DevicesConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
      ) => {
        const sweeper = new CommandSweeper(commands, config.commands.sweepIntervalMs, logger);
        lifecycle.addWorker(sweeper);
        return sweeper;
      },
    },
    {
      provide: COMMAND_RESPONSES_WORKER,
      inject: [KAFKA, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, CommandsService],
      useFactory: (
        kafka: Kafka,
        config: DevicesConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
        commands: CommandsService,
      ) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: config.commands.consumerGroup,
          logger: messagingLogger(logger),
          subscriptions: {
            'connectivity.command.responded.v1': (events) => commands.handleResponses(events),
          },
        });
        lifecycle.addWorker({
          name: 'command-responses',
          start: () => consumer.start(),
          stop: () => consumer.stop(),
          isRunning: () => consumer.isRunning(),
        });
        return consumer;
      },
    },
  ],
  exports: [CommandsService],
})
export class CommandsModule {}
