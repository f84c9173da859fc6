import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Db } from './client.ts';

/** Where drizzle-kit writes migrations (the repository's migrations/; `npm run cli -- migrate` applies them). */
export const defaultMigrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Applies pending drizzle-kit migrations; safe to run at every start (tracked in drizzle.__drizzle_migrations). */
export async function runMigrations(db: Db, migrationsFolder = defaultMigrationsDir): Promise<void> {
  await migrate(db, { migrationsFolder });
}
