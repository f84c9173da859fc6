-- The counting triggers of 0009 planned their lookups on tables whose statistics predate a bulk
-- import (a first import into empty tables), and then scanned product_images once per (scope, source)
-- pair: 10,000 links took two minutes. Every lookup in these functions is by key, so they run with
-- sequential scans off, and the links of the touched sources are read once per statement, not once
-- per pair and scope. JIT is off in them: with sequential scans off their estimated costs pass
-- jit_above_cost, and compiling took 40 ms of a 50 ms claim.
CREATE OR REPLACE FUNCTION image_counts_links_changed() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $$
DECLARE
  product_ids bigint[];
  source_ids bigint[];
  import_ids integer[];
  deltas integer[];
  pair_scopes text[];
  pair_ids integer[];
  pair_sources bigint[];
  pair_deltas integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(product_id), array_agg(source_id), array_agg(import_id), array_agg(1)
      INTO product_ids, source_ids, import_ids, deltas FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(product_id), array_agg(source_id), array_agg(import_id), array_agg(-1)
      INTO product_ids, source_ids, import_ids, deltas FROM old_rows;
  ELSE
    SELECT array_agg(product_id), array_agg(source_id), array_agg(import_id), array_agg(d)
      INTO product_ids, source_ids, import_ids, deltas
      FROM (SELECT n.product_id, n.source_id, n.import_id, 1 AS d FROM new_rows n
             UNION ALL
            SELECT o.product_id, o.source_id, o.import_id, -1 FROM old_rows o) t;
  END IF;
  -- (scope, source) pairs whose number of links this statement changed.
  SELECT array_agg(scope), array_agg(scope_id), array_agg(source_id), array_agg(d)
    INTO pair_scopes, pair_ids, pair_sources, pair_deltas
    FROM (SELECT scope, scope_id, source_id, sum(d)::int AS d
            FROM (SELECT 'import' AS scope, c.import_id AS scope_id, c.source_id, c.d
                    FROM unnest(product_ids, source_ids, import_ids, deltas) AS c(product_id, source_id, import_id, d)
                   WHERE c.import_id IS NOT NULL
                  UNION ALL
                  SELECT 'supplier', p.supplier_id, c.source_id, c.d
                    FROM unnest(product_ids, source_ids, deltas) AS c(product_id, source_id, d)
                    JOIN products p ON p.id = c.product_id) keyed
           GROUP BY 1, 2, 3 HAVING sum(d) <> 0) pairs;
  IF pair_scopes IS NULL THEN
    RETURN NULL;
  END IF;
  -- Whether a scope gains or loses a source depends on the scope's other links to it, so two
  -- transactions changing one supplier's links must not count at once (imports already hold the
  -- supplier's import lock; this covers any other writer).
  PERFORM pg_advisory_xact_lock(1768189803, s.supplier_id)
     FROM (SELECT DISTINCT p.supplier_id FROM products p WHERE p.id = ANY(product_ids) ORDER BY 1) s;
  -- The status read below must not change before this commits: a worker's UPDATE of the source waits
  -- for this lock (or this for its commit), so either its trigger sees these links or this sees its
  -- status. Sources this transaction created are invisible to everyone else and need no lock.
  PERFORM 1 FROM image_sources s
    WHERE s.id = ANY(pair_sources)
      AND s.xmin::text <> (pg_current_xact_id()::text::bigint % 4294967296)::text
    ORDER BY s.id FOR SHARE;
  WITH pairs AS (
    SELECT * FROM unnest(pair_scopes, pair_ids, pair_sources, pair_deltas) AS t(scope, scope_id, source_id, d)
  ), links AS (
    SELECT pi.source_id, pi.import_id, p.supplier_id
      FROM product_images pi JOIN products p ON p.id = pi.product_id
     WHERE pi.source_id = ANY(pair_sources)
  ), linked AS (
    SELECT 'import' AS scope, import_id AS scope_id, source_id, count(*)::int AS n FROM links WHERE import_id IS NOT NULL GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'supplier', supplier_id, source_id, count(*)::int FROM links GROUP BY 1, 2, 3
  ), moved AS (
    -- The scope's links to the source now, this statement's included: none after a removal means the
    -- scope lost the source; as many as this statement added means it has just gained it.
    SELECT pr.scope, pr.scope_id, s.status, CASE WHEN s.status = 'failed' THEN coalesce(s.error_kind, 'unknown') ELSE '' END AS kind,
           CASE WHEN l.n IS NULL THEN -1 WHEN l.n = pr.d THEN 1 ELSE 0 END AS d
      FROM pairs pr
      JOIN image_sources s ON s.id = pr.source_id
      LEFT JOIN linked l ON l.scope = pr.scope AND l.scope_id = pr.scope_id AND l.source_id = pr.source_id
  )
  INSERT INTO image_counts AS c (scope, scope_id, status, kind, shard, n)
  SELECT scope, scope_id, status, kind, 16 + pg_backend_pid() % 16, sum(d) FROM moved
   GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (scope, scope_id, status, kind, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION image_counts_sources_updated() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $$
BEGIN
  -- A source that moves leaves its old (status, kind) and enters the new one in every scope linking it.
  -- Links cannot change under this: an import changing one holds the source FOR SHARE, which
  -- conflicts with this UPDATE (see image_counts_links_changed). One probe of the links per source.
  WITH moved AS (
    SELECT n.id, o.status AS old_status, CASE WHEN o.status = 'failed' THEN coalesce(o.error_kind, 'unknown') ELSE '' END AS old_kind,
           n.status AS new_status, CASE WHEN n.status = 'failed' THEN coalesce(n.error_kind, 'unknown') ELSE '' END AS new_kind
      FROM old_rows o JOIN new_rows n ON n.id = o.id
  ), changed AS (
    SELECT * FROM moved WHERE (old_status, old_kind) IS DISTINCT FROM (new_status, new_kind)
  ), linked AS (
    SELECT c.*, pi.import_id, p.supplier_id FROM changed c
      JOIN product_images pi ON pi.source_id = c.id JOIN products p ON p.id = pi.product_id
  ), scoped AS (
    SELECT 'all' AS scope, 0 AS scope_id, id, old_status, old_kind, new_status, new_kind FROM changed
    UNION
    SELECT 'import', import_id, id, old_status, old_kind, new_status, new_kind FROM linked WHERE import_id IS NOT NULL
    UNION
    SELECT 'supplier', supplier_id, id, old_status, old_kind, new_status, new_kind FROM linked
  ), deltas AS (
    SELECT scope, scope_id, old_status AS status, old_kind AS kind, -1 AS d FROM scoped
    UNION ALL
    SELECT scope, scope_id, new_status, new_kind, 1 FROM scoped
  )
  INSERT INTO image_counts AS c (scope, scope_id, status, kind, shard, n)
  SELECT scope, scope_id, status, kind, pg_backend_pid() % 16, sum(d) FROM deltas
   GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (scope, scope_id, status, kind, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
