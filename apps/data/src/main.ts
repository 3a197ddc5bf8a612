import '@urbis/observability/register';
import { bootstrapService, loadConfig } from '@urbis/runtime';
import { AppModule } from './app.module';
import { configSchema } from './config';

void bootstrapService({ module: AppModule, config: loadConfig(configSchema) });
