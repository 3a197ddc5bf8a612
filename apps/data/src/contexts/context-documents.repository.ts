import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';

export type ContextKind = 'Hosted' | 'Cached' | 'ImplicitlyCreated';

export interface ContextDocument {
  id: string;
  url: string;
  kind: ContextKind;
  /** The whole document: `{ "@context": ... }`. */
  body: { '@context': unknown };
  createdAt: Date;
}

const COLUMNS = 'id, url, kind, body, created_at AS "createdAt"';

/** The @context documents the broker keeps: hosted by clients, cached from URLs, created for inline contexts. */
@Injectable()
export class ContextDocumentsRepository {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async byId(id: string): Promise<ContextDocument | null> {
    const { rows } = await this.pool.query<ContextDocument>(`SELECT ${COLUMNS} FROM jsonld_context WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async byUrl(url: string): Promise<ContextDocument | null> {
    const { rows } = await this.pool.query<ContextDocument>(`SELECT ${COLUMNS} FROM jsonld_context WHERE url = $1`, [url]);
    return rows[0] ?? null;
  }

  async list(kind?: ContextKind): Promise<ContextDocument[]> {
    const { rows } = await this.pool.query<ContextDocument>(
      `SELECT ${COLUMNS} FROM jsonld_context WHERE $1::text IS NULL OR kind = $1 ORDER BY created_at, id`,
      [kind ?? null],
    );
    return rows;
  }

  /** Stores a document under a new id and `url` (made from that id when a function); an existing URL keeps its row. */
  async save(kind: ContextKind, url: string | ((id: string) => string), body: ContextDocument['body']): Promise<ContextDocument> {
    const id = randomUUID();
    const resolvedUrl = typeof url === 'string' ? url : url(id);
    await this.saveWithId(id, kind, resolvedUrl, body);
    const saved = await this.byUrl(resolvedUrl);
    if (!saved) throw new Error(`@context ${resolvedUrl} vanished while being saved`);
    return saved;
  }

  /** Stores a document under a chosen id; nothing happens when that id or URL exists already. */
  async saveWithId(id: string, kind: ContextKind, url: string, body: ContextDocument['body']): Promise<void> {
    await this.pool.query(`INSERT INTO jsonld_context (id, url, kind, body) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING`, [
      id,
      url,
      kind,
      JSON.stringify(body),
    ]);
  }

  async replaceBody(id: string, body: ContextDocument['body']): Promise<void> {
    await this.pool.query('UPDATE jsonld_context SET body = $2::jsonb WHERE id = $1', [id, JSON.stringify(body)]);
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM jsonld_context WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}
