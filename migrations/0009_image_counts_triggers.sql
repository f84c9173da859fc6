-- Image counts kept as the rows change (issue 16): the admin page, `status` and `imports` read these
-- instead of counting millions of rows. image_counts holds, per scope (everything; one import; one
-- supplier), how many distinct image sources are in each status (and, failed ones, each error kind):
-- what the queries in src/admin counted before. A source counts once in a scope however many of the
-- scope's links point at it, and once in every scope that links it.
--
-- Each key has 32 rows (shards) that are summed when read, so concurrent writers do not queue on one
-- row: statements that change a source's status (claims, workers, requeue, media-gc) add to shard
-- pid % 16, statements that create sources or change links (imports) to 16 + pid % 16. The two sides
-- never hold each other's counter rows, so an import waiting for a worker's source (below) cannot be
-- part of a deadlock through them.

CREATE FUNCTION image_counts_sources_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- New sources have no links yet: only the global counts move.
  INSERT INTO image_counts AS c (scope, scope_id, status, kind, shard, n)
  SELECT 'all', 0, status, CASE WHEN status = 'failed' THEN coalesce(error_kind, 'unknown') ELSE '' END,
         16 + pg_backend_pid() % 16, count(*)
    FROM new_rows GROUP BY 3, 4 ORDER BY 3, 4
  ON CONFLICT (scope, scope_id, status, kind, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION image_counts_sources_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A source that moves leaves its old (status, kind) and enters the new one in every scope linking it.
  -- Links cannot change under this: an import changing one holds the source FOR SHARE, which
  -- conflicts with this UPDATE (see image_counts_links_changed).
  WITH moved AS (
    SELECT n.id, o.status AS old_status, CASE WHEN o.status = 'failed' THEN coalesce(o.error_kind, 'unknown') ELSE '' END AS old_kind,
           n.status AS new_status, CASE WHEN n.status = 'failed' THEN coalesce(n.error_kind, 'unknown') ELSE '' END AS new_kind
      FROM old_rows o JOIN new_rows n ON n.id = o.id
  ), changed AS (
    SELECT * FROM moved WHERE (old_status, old_kind) IS DISTINCT FROM (new_status, new_kind)
  ), scoped AS (
    SELECT 'all' AS scope, 0 AS scope_id, c.* FROM changed c
    UNION ALL
    SELECT 'import', l.import_id, c.* FROM changed c
      CROSS JOIN LATERAL (SELECT DISTINCT pi.import_id FROM product_images pi WHERE pi.source_id = c.id AND pi.import_id IS NOT NULL) l
    UNION ALL
    SELECT 'supplier', l.supplier_id, c.* FROM changed c
      CROSS JOIN LATERAL (SELECT DISTINCT p.supplier_id FROM product_images pi JOIN products p ON p.id = pi.product_id WHERE pi.source_id = c.id) l
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
--> statement-breakpoint
CREATE FUNCTION image_counts_sources_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A linked source cannot be deleted (product_images' foreign key): only the global counts move.
  INSERT INTO image_counts AS c (scope, scope_id, status, kind, shard, n)
  SELECT 'all', 0, status, CASE WHEN status = 'failed' THEN coalesce(error_kind, 'unknown') ELSE '' END,
         pg_backend_pid() % 16, -count(*)
    FROM old_rows GROUP BY 3, 4 ORDER BY 3, 4
  ON CONFLICT (scope, scope_id, status, kind, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION image_counts_links_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
    WHERE s.id IN (SELECT unnest(pair_sources))
      AND s.xmin::text <> (pg_current_xact_id()::text::bigint % 4294967296)::text
    ORDER BY s.id FOR SHARE;
  WITH pairs AS (
    SELECT * FROM unnest(pair_scopes, pair_ids, pair_sources, pair_deltas) AS t(scope, scope_id, source_id, d)
  ), linked AS (
    -- The scope's links to the source now, this statement's included: 0 after a removal means the
    -- scope lost the source; as many as this statement added means it has just gained it.
    SELECT pr.*, CASE pr.scope
             WHEN 'import' THEN (SELECT count(*) FROM product_images pi WHERE pi.source_id = pr.source_id AND pi.import_id = pr.scope_id)
             ELSE (SELECT count(*) FROM product_images pi JOIN products p ON p.id = pi.product_id
                    WHERE pi.source_id = pr.source_id AND p.supplier_id = pr.scope_id)
           END AS now_linked
      FROM pairs pr
  ), moved AS (
    SELECT l.scope, l.scope_id, s.status, CASE WHEN s.status = 'failed' THEN coalesce(s.error_kind, 'unknown') ELSE '' END AS kind,
           CASE WHEN l.now_linked = 0 THEN -1 WHEN l.now_linked = l.d THEN 1 ELSE 0 END AS d
      FROM linked l JOIN image_sources s ON s.id = l.source_id
  )
  INSERT INTO image_counts AS c (scope, scope_id, status, kind, shard, n)
  SELECT scope, scope_id, status, kind, 16 + pg_backend_pid() % 16, sum(d) FROM moved
   GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (scope, scope_id, status, kind, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION product_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A supplier's products change in its own imports, one at a time: one row per supplier is enough.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO product_counts AS c (supplier_id, n)
    SELECT supplier_id, count(*) FROM new_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (supplier_id) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    INSERT INTO product_counts AS c (supplier_id, n)
    SELECT supplier_id, -count(*) FROM old_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (supplier_id) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Writers wait until the counts below are backfilled and the triggers are in place, so no change
-- falls between the two.
LOCK TABLE image_sources, product_images, products IN SHARE ROW EXCLUSIVE MODE;
--> statement-breakpoint
CREATE TRIGGER image_counts_sources_inserted AFTER INSERT ON image_sources
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION image_counts_sources_inserted();
--> statement-breakpoint
CREATE TRIGGER image_counts_sources_updated AFTER UPDATE ON image_sources
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION image_counts_sources_updated();
--> statement-breakpoint
CREATE TRIGGER image_counts_sources_deleted AFTER DELETE ON image_sources
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION image_counts_sources_deleted();
--> statement-breakpoint
CREATE TRIGGER image_counts_links_inserted AFTER INSERT ON product_images
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION image_counts_links_changed();
--> statement-breakpoint
CREATE TRIGGER image_counts_links_updated AFTER UPDATE ON product_images
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION image_counts_links_changed();
--> statement-breakpoint
CREATE TRIGGER image_counts_links_deleted AFTER DELETE ON product_images
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION image_counts_links_changed();
--> statement-breakpoint
CREATE TRIGGER product_counts_inserted AFTER INSERT ON products
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_counts_changed();
--> statement-breakpoint
CREATE TRIGGER product_counts_deleted AFTER DELETE ON products
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_counts_changed();
--> statement-breakpoint
INSERT INTO image_counts (scope, scope_id, status, kind, shard, n)
SELECT 'all', 0, status, CASE WHEN status = 'failed' THEN coalesce(error_kind, 'unknown') ELSE '' END, 0, count(*)
  FROM image_sources GROUP BY 3, 4;
--> statement-breakpoint
INSERT INTO image_counts (scope, scope_id, status, kind, shard, n)
SELECT 'import', l.import_id, s.status, CASE WHEN s.status = 'failed' THEN coalesce(s.error_kind, 'unknown') ELSE '' END, 0, count(*)
  FROM (SELECT DISTINCT import_id, source_id FROM product_images WHERE import_id IS NOT NULL) l
  JOIN image_sources s ON s.id = l.source_id
 GROUP BY 2, 3, 4;
--> statement-breakpoint
INSERT INTO image_counts (scope, scope_id, status, kind, shard, n)
SELECT 'supplier', l.supplier_id, s.status, CASE WHEN s.status = 'failed' THEN coalesce(s.error_kind, 'unknown') ELSE '' END, 0, count(*)
  FROM (SELECT DISTINCT p.supplier_id, pi.source_id FROM product_images pi JOIN products p ON p.id = pi.product_id) l
  JOIN image_sources s ON s.id = l.source_id
 GROUP BY 2, 3, 4;
--> statement-breakpoint
INSERT INTO product_counts (supplier_id, n) SELECT supplier_id, count(*) FROM products GROUP BY 1;
