import { Kafka, logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';
// Every client of this lib encodes through kafkajs's Encoder, patched there to allocate less.
import './kafkajs-encoder';
import { errorsOnlyLogger, MessagingLogger } from './logger';

export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface CreateKafkaOptions {
  clientId: string;
  brokers: string[];
  /** Lowest kafkajs level forwarded to `logger`; default `error`. */
  logLevel?: KafkaLogLevelName;
  /** Where kafkajs logs go; default: errors as JSON lines on stderr. */
  logger?: MessagingLogger;
  /** Connection timeout in ms (kafkajs default is 1000, too tight for a busy CI machine). */
  connectionTimeout?: number;
}

/**
 * Protocol errors kafkajs logs at ERROR although it handles them itself by rejoining the group:
 * routine during every rebalance, so they are logged as warnings.
 */
const ROUTINE_GROUP_ERRORS = [
  'The group is rebalancing, so a rejoin is needed',
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
];

const isRoutine = (extra: Record<string, unknown>): boolean =>
  typeof extra['error'] === 'string' && ROUTINE_GROUP_ERRORS.includes(extra['error']);

const LEVELS: Record<KafkaLogLevelName, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** A kafkajs client whose logs go through the platform logger instead of kafkajs' console output. */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const logger = options.logger ?? errorsOnlyLogger;
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeout ?? 5000,
    logLevel: LEVELS[options.logLevel ?? 'error'],
    logCreator:
      () =>
      ({ level, log, namespace }: LogEntry) => {
        const { message, ...extra } = log;
        const fields = { ...extra, namespace, component: 'kafkajs' };
        if (level === KafkaLogLevel.ERROR && !isRoutine(extra)) logger.error(message, fields);
        else if (level === KafkaLogLevel.ERROR) logger.warn(message, fields);
        else if (level === KafkaLogLevel.WARN) logger.warn(message, fields);
        else if (level === KafkaLogLevel.INFO) logger.info(message, fields);
        else logger.debug(message, fields);
      },
  });
}
