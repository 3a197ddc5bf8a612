// Configuration of the Prisma CLI (db:generate, db:migrate), not application code.
import { defineConfig } from 'prisma/config';
import { defineServicePrismaConfig } from '../../tools/prisma/migrate-adapter';

export default defineConfig(defineServicePrismaConfig({ service: 'data', appDir: __dirname }));
