-- 012-webmon-rollups: what the status page still read from big tables under
-- load (issue #12, 8 concurrent clients).  Additive only.

-- Errors per hour, link and reason (errors at rest: from_node 0), kept from
-- errors by a statement-level trigger with a transition table as
-- error_summary (005) keeps its 5-minute bins: /errors over 24 hours or 7
-- days sums whole hours here and only the partial hours at the window's
-- edges from error_summary, never the errors table.
CREATE TABLE error_hourly (
  time_bin  timestamptz NOT NULL,
  from_node int NOT NULL,
  to_node   int NOT NULL,
  reason    text NOT NULL,
  errors    bigint NOT NULL,
  permanent bigint NOT NULL,
  first     timestamptz NOT NULL,
  last      timestamptz NOT NULL,
  last_id   bigint NOT NULL,
  PRIMARY KEY (time_bin, from_node, to_node, reason)
);
INSERT INTO error_hourly
  SELECT px_hour(time_bin), from_node, to_node, reason, sum(errors), sum(permanent), min(first), max(last), max(last_id)
  FROM error_summary GROUP BY 1, 2, 3, 4;

-- Runs as the TMDB's owner (a site role inserts errors, never summaries).
CREATE FUNCTION px_error_hourly_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO error_hourly AS s
    SELECT px_hour(time), coalesce(from_node, 0), coalesce(to_node, 0), reason, count(*),
           count(*) FILTER (WHERE permanent), min(time), max(time), max(id)
    FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (time_bin, from_node, to_node, reason) DO UPDATE SET
    errors = s.errors + excluded.errors, permanent = s.permanent + excluded.permanent,
    first = least(s.first, excluded.first), last = greatest(s.last, excluded.last),
    last_id = greatest(s.last_id, excluded.last_id);
  RETURN NULL;
END $$;
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION px_error_hourly_add() SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END $$;
CREATE TRIGGER errors_hourly AFTER INSERT ON errors
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION px_error_hourly_add();

-- /errors' sample LFNs: the latest errors of one (link, reason) group,
-- errors at rest (no source) included, by a short backward index scan.
CREATE INDEX errors_group_time ON errors ((coalesce(from_node, 0)), (coalesce(to_node, 0)), reason, time);

-- One link's hourly history (/links/FROM/TO over 7 days) without reading
-- every link's hours (as link_history_to_from for the 5-minute bins).
CREATE INDEX link_history_hourly_to_from ON link_history_hourly (to_node, from_node, time_bin);
