/**
 * The PostgreSQL store's schema, one migration per entry: entry i brings the database to version
 * i + 1, recorded in `schema_migrations`. Append new entries; never edit a released one.
 * Integers that can pass 2^31 (seqs, times, ids) are bigint; JSON is stored as the text the
 * server wrote, so it reads back exactly.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE events (scope text NOT NULL, seq bigint NOT NULL, type text NOT NULL, data text NOT NULL,
    command_id text NOT NULL, client_id text NOT NULL, at bigint NOT NULL, PRIMARY KEY (scope, seq));
  CREATE TABLE heads (scope text PRIMARY KEY, head bigint NOT NULL);
  CREATE TABLE clients (client_id text PRIMARY KEY, user_id text NOT NULL, last_seq bigint NOT NULL);
  CREATE TABLE results (client_id text NOT NULL, seq bigint NOT NULL, command_id text NOT NULL UNIQUE,
    name text NOT NULL, args_json text NOT NULL, status text NOT NULL, scope text NOT NULL, first_seq bigint NOT NULL,
    event_count integer NOT NULL, code text, message text, PRIMARY KEY (client_id, seq));
  CREATE TABLE audit (id bigserial PRIMARY KEY, recorded_at bigint NOT NULL, scope text NOT NULL,
    command_id text NOT NULL, client_id text NOT NULL, user_id text NOT NULL, name text NOT NULL, args text NOT NULL,
    seq bigint NOT NULL, base_seq bigint NOT NULL, head_seq bigint NOT NULL, outcome text NOT NULL, code text,
    message text, event_seqs text NOT NULL, intervened_count integer NOT NULL, intervened text NOT NULL);
  CREATE INDEX audit_scope ON audit (scope, id);
  CREATE INDEX audit_client ON audit (client_id, id);
  CREATE INDEX audit_user ON audit (user_id, id);
  CREATE INDEX audit_outcome ON audit (outcome, id);
  CREATE INDEX audit_name ON audit (name, id);
  CREATE INDEX audit_time ON audit (recorded_at);
  CREATE TABLE snapshots (scope text PRIMARY KEY, seq bigint NOT NULL, tables text NOT NULL);
  `,
];
