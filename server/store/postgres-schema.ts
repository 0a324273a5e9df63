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
  // 2: the whole commit in one statement, so a push costs one round trip and one fsync. The
  // caller numbers events relative to the head (1, 2, …) and passes the heads and client
  // positions it expects; a moved one raises SQLSTATE WF409, which the adapter turns into a
  // StoreConflict. Returns the heads as locked, before the commit's events.
  `
  CREATE FUNCTION weft_commit(
    p_scopes text[], p_exp_scopes text[], p_exp_heads bigint[],
    p_exp_clients text[], p_exp_seqs bigint[],
    p_clients text[], p_users text[], p_last_seqs bigint[],
    e_scope text[], e_rel bigint[], e_type text[], e_data text[], e_command text[], e_client text[], e_at bigint[],
    r_client text[], r_seq bigint[], r_command text[], r_name text[], r_args_json text[], r_status text[],
    r_scope text[], r_first_rel bigint[], r_count integer[], r_code text[], r_message text[],
    a_recorded bigint[], a_user text[], a_args text[], a_base bigint[], a_head bigint[], a_outcome text[],
    a_intervened_count integer[], a_intervened text[],
    g_scope text[], g_count bigint[], p_channel text, p_origin text, p_audit_lock bigint)
  RETURNS TABLE (scope text, head bigint)
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
  #variable_conflict use_column
  DECLARE
    locked_scopes text[];
    locked_heads bigint[];
    moved text;
  BEGIN
    INSERT INTO heads AS h (scope, head) SELECT s, 0 FROM unnest(p_scopes) AS s ON CONFLICT DO NOTHING;
    SELECT coalesce(array_agg(l.scope ORDER BY l.scope), '{}'), coalesce(array_agg(l.head ORDER BY l.scope), '{}')
      INTO locked_scopes, locked_heads
      FROM (SELECT h.scope, h.head FROM heads h WHERE h.scope = ANY(p_scopes) ORDER BY h.scope FOR UPDATE) l;
    SELECT x.s INTO moved FROM unnest(p_exp_scopes, p_exp_heads) AS x(s, e)
      LEFT JOIN unnest(locked_scopes, locked_heads) AS l(s, h) ON l.s = x.s
      WHERE coalesce(l.h, 0) <> x.e LIMIT 1;
    IF moved IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'WF409', MESSAGE = 'the head of ' || moved || ' moved';
    END IF;

    PERFORM 1 FROM clients c WHERE c.client_id = ANY(p_clients || p_exp_clients) ORDER BY c.client_id FOR UPDATE;
    SELECT x.c INTO moved FROM unnest(p_exp_clients, p_exp_seqs) AS x(c, e)
      LEFT JOIN clients c ON c.client_id = x.c WHERE coalesce(c.last_seq, 0) <> x.e LIMIT 1;
    IF moved IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'WF409', MESSAGE = 'client ' || moved || ' moved';
    END IF;
    SELECT x.c INTO moved FROM unnest(p_clients, p_users) AS x(c, u)
      JOIN clients c ON c.client_id = x.c WHERE c.user_id <> x.u LIMIT 1;
    IF moved IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'WF409', MESSAGE = 'client ' || moved || ' belongs to another user';
    END IF;

    INSERT INTO events (scope, seq, type, data, command_id, client_id, at)
      SELECT u.s, l.h + u.rel, u.t, u.d, u.cmd, u.cl, u.at
      FROM unnest(e_scope, e_rel, e_type, e_data, e_command, e_client, e_at) AS u(s, rel, t, d, cmd, cl, at)
      JOIN unnest(locked_scopes, locked_heads) AS l(s, h) ON l.s = u.s;
    -- A plain INSERT for new clients: one another commit created meanwhile is a unique violation.
    INSERT INTO clients (client_id, user_id, last_seq)
      SELECT x.c, x.u, x.q FROM unnest(p_clients, p_users, p_last_seqs) AS x(c, u, q)
      WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.client_id = x.c);
    UPDATE clients c SET last_seq = x.q FROM unnest(p_clients, p_last_seqs) AS x(c, q)
      WHERE c.client_id = x.c AND c.last_seq < x.q;
    INSERT INTO results (client_id, seq, command_id, name, args_json, status, scope, first_seq, event_count, code, message)
      SELECT u.cl, u.q, u.cmd, u.n, u.aj, u.st, u.s, l.h + u.fr, u.cnt, u.code, u.msg
      FROM unnest(r_client, r_seq, r_command, r_name, r_args_json, r_status, r_scope, r_first_rel, r_count, r_code, r_message)
        AS u(cl, q, cmd, n, aj, st, s, fr, cnt, code, msg)
      JOIN unnest(locked_scopes, locked_heads) AS l(s, h) ON l.s = u.s;
    IF cardinality(r_client) > 0 THEN
      -- Held to COMMIT: audit ids are taken, and become visible, in commit order.
      PERFORM pg_advisory_xact_lock(p_audit_lock);
      INSERT INTO audit (recorded_at, scope, command_id, client_id, user_id, name, args, seq, base_seq, head_seq,
          outcome, code, message, event_seqs, intervened_count, intervened)
        SELECT u.ra, u.s, u.cmd, u.cl, u.us, u.n, u.ar, u.q, u.b, u.hd, u.o, u.code, u.msg,
          '[' || array_to_string(ARRAY(SELECT generate_series(l.h + u.fr, l.h + u.fr + u.cnt - 1)), ',') || ']',
          u.ic, u.iv
        FROM unnest(a_recorded, r_scope, r_command, r_client, a_user, r_name, a_args, r_seq, a_base, a_head,
            a_outcome, r_code, r_message, r_first_rel, r_count, a_intervened_count, a_intervened)
          WITH ORDINALITY AS u(ra, s, cmd, cl, us, n, ar, q, b, hd, o, code, msg, fr, cnt, ic, iv, ord)
        JOIN unnest(locked_scopes, locked_heads) AS l(s, h) ON l.s = u.s
        ORDER BY u.ord;
    END IF;
    UPDATE heads h SET head = l.h + g.n
      FROM unnest(g_scope, g_count) AS g(s, n) JOIN unnest(locked_scopes, locked_heads) AS l(s, h) ON l.s = g.s
      WHERE h.scope = g.s;
    PERFORM pg_notify(p_channel, json_build_array(g.s, l.h + g.n, p_origin)::text)
      FROM unnest(g_scope, g_count) AS g(s, n) JOIN unnest(locked_scopes, locked_heads) AS l(s, h) ON l.s = g.s;
    RETURN QUERY SELECT l.s, l.h FROM unnest(locked_scopes, locked_heads) AS l(s, h);
  END
  $fn$;
  `,
];
