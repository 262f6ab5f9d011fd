/// The journal's tables and the functions that change them, as versioned migrations.
///
/// A database at version n runs the migrations after the nth, all in one transaction that holds an advisory
/// lock, so that nodes starting at once wait for each other instead of racing; `schema_migrations` has a row
/// per migration applied. A database with a version this code does not know was written by a newer Hookline,
/// and is refused.
///
/// Why functions: an append, a batch of records, a requeue each take one round trip and one transaction, and
/// take their row locks in one order (the call's row first, see `calls`), whatever the client does.
enum Schema {
    /// The key of the advisory lock that migrations run under (the bytes of "hookline").
    static let migrationLock: Int64 = 0x686F_6F6B_6C69_6E65
    /// The key of the advisory lock that one node at a time prunes under.
    static let pruneLock: Int64 = 0x686F_6F6B_6C69_6E66
    /// The channel that work signals go out on; each payload names the node it is for.
    static let signalChannel = "hookline_work"

    /// Each migration is a list of statements (the extended protocol takes one statement at a time).
    static let migrations: [[String]] = [first, timers, effects, consoleIndexes, nodeScripts]

    /// The key of the advisory lock that one node at a time fires due timers under.
    static let timerLock: Int64 = 0x686F_6F6B_6C69_6E67

    private static let first = [
        // Events, with their bodies (TOAST keeps large ones out of line and compressed). Ids come from a
        // sequence: they have gaps, and commits from several nodes land out of id order, but within one call they
        // follow commit order, because an append locks its call's row before it takes an id (hookline_append).
        """
        CREATE TABLE events (
            id bigserial PRIMARY KEY,
            received_at bigint NOT NULL,
            endpoint text NOT NULL,
            type text NOT NULL,
            call_id text NOT NULL,
            dedup_key text NOT NULL,
            request_id text NOT NULL,
            body bytea NOT NULL,
            size integer NOT NULL,
            warnings text[] NOT NULL DEFAULT '{}',
            state text NOT NULL,
            generation integer NOT NULL DEFAULT 0,
            finished_at bigint,
            CONSTRAINT events_dedup UNIQUE (endpoint, dedup_key)
        )
        """,
        "CREATE INDEX events_call_pending ON events (endpoint, call_id, id) WHERE state = 'pending'",
        "CREATE INDEX events_call ON events (call_id, id)",
        """
        CREATE TABLE runs (
            id bigserial PRIMARY KEY,
            event_id bigint NOT NULL,
            generation integer NOT NULL,
            script text NOT NULL,
            script_version text NOT NULL,
            attempt integer NOT NULL,
            started_at bigint NOT NULL,
            duration_us bigint NOT NULL,
            outcome text NOT NULL,
            error_kind text,
            error text,
            error_line integer,
            host_calls text[] NOT NULL DEFAULT '{}'
        )
        """,
        "CREATE INDEX runs_event ON runs (event_id, generation)",
        """
        CREATE TABLE store (
            endpoint text NOT NULL,
            key text NOT NULL,
            value text NOT NULL,
            expires_at bigint,
            PRIMARY KEY (endpoint, key)
        )
        """,
        """
        CREATE TABLE alert_folds (
            key text PRIMARY KEY,
            delivered_at bigint NOT NULL,
            folded integer NOT NULL
        )
        """,
        // Nodes and their leases, in the database's clock (now()), never a node's.
        """
        CREATE TABLE nodes (
            incarnation text PRIMARY KEY,
            name text NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """,
        // The work of each call: who holds it (a node's incarnation) under which fencing token, its version (+1
        // per change of its work), whether it has pending events and the oldest of them. Updated by every append
        // and record: room on each page keeps those updates HOT (no index entry changes when only the version does).
        """
        CREATE TABLE calls (
            endpoint text NOT NULL,
            call_id text NOT NULL,
            holder text,
            token bigint NOT NULL DEFAULT 0,
            version bigint NOT NULL DEFAULT 0,
            has_pending boolean NOT NULL DEFAULT false,
            oldest_pending bigint,
            PRIMARY KEY (endpoint, call_id)
        ) WITH (fillfactor = 70)
        """,
        "CREATE INDEX calls_waiting ON calls (oldest_pending) WHERE has_pending",
        "CREATE INDEX calls_holder ON calls (holder) WHERE holder IS NOT NULL",
        // Tokens grow with every new holder of any call; a write carrying an older one is refused.
        "CREATE SEQUENCE claim_tokens",
        // checkWritable's probe: nextval is a write, refused by a read-only server (a standby, for example).
        "CREATE SEQUENCE write_probes",

        """
        CREATE FUNCTION hookline_node_is_live(p_incarnation text) RETURNS boolean LANGUAGE sql STABLE AS $$
            SELECT EXISTS (SELECT 1 FROM nodes WHERE incarnation = p_incarnation AND expires_at > now())
        $$
        """,
        // The row of a call, locked, created when missing (a concurrent prune may delete an idle row between the
        // insert and the lock: then the loop creates it again).
        """
        CREATE FUNCTION hookline_lock_call(p_endpoint text, p_call_id text) RETURNS calls LANGUAGE plpgsql AS $$
        DECLARE
            found_call calls;
        BEGIN
            LOOP
                SELECT * INTO found_call FROM calls WHERE endpoint = p_endpoint AND call_id = p_call_id FOR UPDATE;
                IF FOUND THEN
                    RETURN found_call;
                END IF;
                INSERT INTO calls (endpoint, call_id) VALUES (p_endpoint, p_call_id) ON CONFLICT DO NOTHING;
            END LOOP;
        END
        $$
        """,
        // Tells the holder of a call that its work changed. The payload is split at its last two spaces, so only
        // endpoint names and call ids that are safe identifiers go in (intake and the settings allow no others).
        """
        CREATE FUNCTION hookline_signal(p_holder text, p_endpoint text, p_call_id text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF p_endpoint ~ '^[A-Za-z0-9_-]{1,128}$' AND p_call_id ~ '^[A-Za-z0-9_-]{1,128}$'
               AND octet_length(p_holder) < 7000 THEN
                PERFORM pg_notify('hookline_work', p_holder || ' ' || p_endpoint || ' ' || p_call_id);
            END IF;
        END
        $$
        """,
        // One append: the call's row is locked before the event takes its id, so that ids within a call follow
        // commit order. A duplicate (same endpoint and key) returns the stored event's id and changes nothing.
        // A pending event raises the call's version, and claims the call for the claimant unless a live node
        // holds it (then that node is signalled). An event that is not to be processed touches no held.
        """
        CREATE FUNCTION hookline_append(
            p_claimant text, p_received_at bigint, p_endpoint text, p_type text, p_call_id text, p_dedup_key text,
            p_request_id text, p_body bytea, p_warnings text[], p_state text,
            OUT event_id bigint, OUT duplicate boolean, OUT claim_token bigint, OUT call_version bigint,
            OUT inherited boolean
        ) LANGUAGE plpgsql AS $$
        DECLARE
            held calls;
        BEGIN
            duplicate := false;
            inherited := false;
            call_version := 0;
            IF p_state = 'pending' THEN
                held := hookline_lock_call(p_endpoint, p_call_id);
            END IF;
            LOOP
                INSERT INTO events (received_at, endpoint, type, call_id, dedup_key, request_id, body, size, warnings, state)
                VALUES (p_received_at, p_endpoint, p_type, p_call_id, p_dedup_key, p_request_id, p_body,
                        octet_length(p_body), p_warnings, p_state)
                ON CONFLICT (endpoint, dedup_key) DO NOTHING
                RETURNING id INTO event_id;
                EXIT WHEN event_id IS NOT NULL;
                SELECT id INTO event_id FROM events WHERE endpoint = p_endpoint AND dedup_key = p_dedup_key;
                IF FOUND THEN
                    duplicate := true;
                    RETURN;
                END IF;
                -- the stored one was pruned meanwhile: store this one
            END LOOP;
            IF p_state <> 'pending' THEN
                RETURN;
            END IF;
            call_version := held.version + 1;
            IF held.holder = p_claimant THEN
                claim_token := held.token;
                inherited := held.has_pending;
            ELSIF held.holder IS NULL OR NOT hookline_node_is_live(held.holder) THEN
                inherited := held.has_pending;
                held.holder := p_claimant;
                held.token := nextval('claim_tokens');
                claim_token := held.token;
            ELSE
                PERFORM hookline_signal(held.holder, p_endpoint, p_call_id);
            END IF;
            UPDATE calls SET holder = held.holder, token = held.token, version = call_version, has_pending = true,
                             oldest_pending = CASE WHEN held.has_pending THEN least(held.oldest_pending, event_id)
                                                   ELSE event_id END
            WHERE endpoint = p_endpoint AND call_id = p_call_id;
        END
        $$
        """,
        // Claims up to p_limit calls with pending work that no live node holds, oldest work first. Calls being
        // changed by another transaction are skipped, not waited for.
        """
        CREATE FUNCTION hookline_claim_waiting(p_node text, p_limit bigint)
        RETURNS TABLE (endpoint text, call_id text, token bigint, oldest_pending bigint) LANGUAGE sql AS $$
            WITH waiting AS (
                SELECT c.endpoint, c.call_id FROM calls c
                WHERE c.has_pending AND c.holder IS DISTINCT FROM p_node
                  AND (c.holder IS NULL OR NOT hookline_node_is_live(c.holder))
                ORDER BY c.oldest_pending
                LIMIT p_limit
                FOR UPDATE OF c SKIP LOCKED
            )
            UPDATE calls c SET holder = p_node, token = nextval('claim_tokens')
            FROM waiting w WHERE c.endpoint = w.endpoint AND c.call_id = w.call_id
            RETURNING c.endpoint, c.call_id, c.token, c.oldest_pending
        $$
        """,
        // Writes the records of a batch of calls (JSON, see RecordBatch), each only while p_node holds the call
        // under the token the records carry; gives up each call whose version is still the one its release
        // names. One outcome per call, in order: fenced, recorded or released.
        """
        CREATE FUNCTION hookline_record(p_node text, p_batch jsonb) RETURNS SETOF text LANGUAGE plpgsql AS $$
        DECLARE
            item record;
            held calls;
            oldest bigint;
        BEGIN
            -- every call's row first, in key order, so that two batches never wait for each other in a circle
            PERFORM 1 FROM calls
            WHERE (endpoint, call_id) IN (SELECT b->>'endpoint', b->>'call' FROM jsonb_array_elements(p_batch) b)
            ORDER BY endpoint, call_id FOR UPDATE;
            FOR item IN SELECT b.value AS records FROM jsonb_array_elements(p_batch) WITH ORDINALITY b ORDER BY b.ordinality
            LOOP
                SELECT * INTO held FROM calls
                WHERE endpoint = item.records->>'endpoint' AND call_id = item.records->>'call';
                IF NOT FOUND OR held.holder IS DISTINCT FROM p_node OR held.token <> (item.records->>'token')::bigint THEN
                    RETURN NEXT 'fenced';
                    CONTINUE;
                END IF;
                INSERT INTO runs (event_id, generation, script, script_version, attempt, started_at, duration_us, outcome,
                                  error_kind, error, error_line, host_calls)
                SELECT r.event, r.generation, r.script, r.version, r.attempt, r.started, r.duration, r.outcome, r.kind,
                       r.error, r.line, coalesce(r.calls, '{}')
                FROM jsonb_to_recordset(item.records->'runs') AS r(event bigint, generation integer, script text,
                     version text, attempt integer, started bigint, duration bigint, outcome text, kind text, error text,
                     line integer, calls text[]);
                IF jsonb_array_length(item.records->'completions') > 0 THEN
                    UPDATE events e SET state = x.state, finished_at = x.finished
                    FROM jsonb_to_recordset(item.records->'completions') AS x(event bigint, generation integer,
                         state text, finished bigint)
                    WHERE e.id = x.event AND e.generation = x.generation AND e.state = 'pending'
                      AND e.endpoint = held.endpoint AND e.call_id = held.call_id;
                    SELECT min(id) INTO oldest FROM events
                    WHERE endpoint = held.endpoint AND call_id = held.call_id AND state = 'pending';
                    held.has_pending := oldest IS NOT NULL;
                    held.oldest_pending := oldest;
                END IF;
                IF (item.records->>'release')::bigint = held.version THEN
                    UPDATE calls SET holder = NULL, version = version + 1, has_pending = held.has_pending,
                                     oldest_pending = held.oldest_pending
                    WHERE endpoint = held.endpoint AND call_id = held.call_id;
                    RETURN NEXT 'released';
                ELSE
                    UPDATE calls SET has_pending = held.has_pending, oldest_pending = held.oldest_pending
                    WHERE endpoint = held.endpoint AND call_id = held.call_id
                      AND (has_pending, oldest_pending) IS DISTINCT FROM (held.has_pending, held.oldest_pending);
                    RETURN NEXT 'recorded';
                END IF;
            END LOOP;
        END
        $$
        """,
        // Puts events back to pending under a new generation; each call touched gets a new version and work
        // (its holder, if live, is signalled). The calls' rows are locked first, as everywhere.
        """
        CREATE FUNCTION hookline_requeue(p_ids bigint[]) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            k record;
            held calls;
            requeued bigint;
        BEGIN
            FOR k IN SELECT DISTINCT endpoint, call_id FROM events WHERE id = ANY(p_ids) ORDER BY endpoint, call_id
            LOOP
                PERFORM hookline_lock_call(k.endpoint, k.call_id);
            END LOOP;
            UPDATE events SET state = 'pending', generation = generation + 1, finished_at = NULL WHERE id = ANY(p_ids);
            GET DIAGNOSTICS requeued = ROW_COUNT;
            FOR held IN
                UPDATE calls c SET version = c.version + 1, has_pending = true,
                       oldest_pending = (SELECT min(e.id) FROM events e
                                         WHERE e.endpoint = c.endpoint AND e.call_id = c.call_id AND e.state = 'pending')
                WHERE (c.endpoint, c.call_id) IN (SELECT e.endpoint, e.call_id FROM events e WHERE e.id = ANY(p_ids))
                RETURNING c.*
            LOOP
                IF held.holder IS NOT NULL AND hookline_node_is_live(held.holder) THEN
                    PERFORM hookline_signal(held.holder, held.endpoint, held.call_id);
                END IF;
            END LOOP;
            RETURN requeued;
        END
        $$
        """,
        // A graceful shutdown: the node's lease ends and its calls are given up at once.
        """
        CREATE FUNCTION hookline_leave(p_node text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM nodes WHERE incarnation = p_node;
            UPDATE calls SET holder = NULL, version = version + 1
            WHERE (endpoint, call_id) IN (SELECT endpoint, call_id FROM calls WHERE holder = p_node
                                          ORDER BY endpoint, call_id FOR UPDATE);
        END
        $$
        """,
        // Whether a run's claim still holds; the call's row stays share-locked until the transaction ends, so
        // that no node can take the call over between this check and the write it guards.
        """
        CREATE FUNCTION hookline_fence_holds(p_endpoint text, p_call_id text, p_holder text, p_token bigint)
        RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF p_holder IS NULL THEN
                RETURN true;
            END IF;
            PERFORM 1 FROM calls WHERE endpoint = p_endpoint AND call_id = p_call_id AND holder = p_holder
                                   AND token = p_token FOR SHARE;
            RETURN FOUND;
        END
        $$
        """,
        // A set, or a delete when p_value is NULL; false: fenced, nothing written.
        """
        CREATE FUNCTION hookline_store_write(p_endpoint text, p_key text, p_value text, p_expires_at bigint,
                                             f_endpoint text, f_call_id text, f_holder text, f_token bigint)
        RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT hookline_fence_holds(f_endpoint, f_call_id, f_holder, f_token) THEN
                RETURN false;
            END IF;
            IF p_value IS NULL THEN
                DELETE FROM store WHERE endpoint = p_endpoint AND key = p_key;
            ELSE
                INSERT INTO store (endpoint, key, value, expires_at) VALUES (p_endpoint, p_key, p_value, p_expires_at)
                ON CONFLICT (endpoint, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at;
            END IF;
            RETURN true;
        END
        $$
        """,
        // The number a stored value (JSON text) holds, 0 when it holds none (as SQLite's journal reads it).
        """
        CREATE FUNCTION hookline_number(p_value text) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN p_value ~ '^\\s*-?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]{1,3})?\\s*$'
                        THEN p_value::double precision ELSE 0 END
        $$
        """,
        // An increment in one upsert, so that concurrent ones from any node add up exactly. An unexpired counter
        // keeps its expiry unless a new one is given; an expired one starts over from 0. NULL: fenced.
        """
        CREATE FUNCTION hookline_store_increment(p_endpoint text, p_key text, p_by double precision, p_expires_at bigint,
                                                 p_now bigint, f_endpoint text, f_call_id text, f_holder text, f_token bigint)
        RETURNS double precision LANGUAGE plpgsql AS $$
        DECLARE
            result text;
        BEGIN
            IF NOT hookline_fence_holds(f_endpoint, f_call_id, f_holder, f_token) THEN
                RETURN NULL;
            END IF;
            INSERT INTO store AS s (endpoint, key, value, expires_at) VALUES (p_endpoint, p_key, p_by::text, p_expires_at)
            ON CONFLICT (endpoint, key) DO UPDATE SET
                value = (CASE WHEN s.expires_at IS NULL OR s.expires_at > p_now THEN hookline_number(s.value) ELSE 0 END
                         + p_by)::text,
                expires_at = CASE WHEN (s.expires_at IS NULL OR s.expires_at > p_now) AND p_expires_at IS NULL
                                  THEN s.expires_at ELSE p_expires_at END
            RETURNING value INTO result;
            RETURN result::double precision;
        END
        $$
        """,
        // Alert folding: NULL when the key was delivered less than the window ago (this one is folded); otherwise
        // this one is delivered, and the result is how many were folded since the last one.
        """
        CREATE FUNCTION hookline_fold_alert(p_key text, p_window bigint, p_now bigint) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            fold alert_folds;
        BEGIN
            LOOP
                SELECT * INTO fold FROM alert_folds WHERE key = p_key FOR UPDATE;
                IF FOUND THEN
                    IF p_now - fold.delivered_at < p_window THEN
                        UPDATE alert_folds SET folded = folded + 1 WHERE key = p_key;
                        RETURN NULL;
                    END IF;
                    UPDATE alert_folds SET delivered_at = p_now, folded = 0 WHERE key = p_key;
                    RETURN fold.folded;
                END IF;
                INSERT INTO alert_folds (key, delivered_at, folded) VALUES (p_key, p_now, 0) ON CONFLICT DO NOTHING;
                IF FOUND THEN
                    RETURN 0;
                END IF;
            END LOOP;
        END
        $$
        """,
    ]

    /// Timers (see `Timers` in the Journal module): a table of each call's timers by name, changed by the
    /// records of successful runs (in the order of the events that made each change) and fired into events of
    /// their call, exactly once, by the first append of the call after their due time or by a node's timer loop.
    private static let timers = [
        """
        CREATE TABLE timers (
            endpoint text NOT NULL,
            call_id text NOT NULL,
            name text NOT NULL,
            state text NOT NULL,
            due_at bigint,
            set_at bigint,
            data text,
            set_by bigint,
            op_event bigint NOT NULL,
            fired_event bigint,
            changed_at bigint NOT NULL,
            PRIMARY KEY (endpoint, call_id, name)
        )
        """,
        "CREATE INDEX timers_due ON timers (due_at) WHERE state = 'pending'",
        // Gives a call (its row locked by the caller) the work of p_count pending events just stored, the first
        // with id p_first: its version grows by p_count, and p_claimant gets it unless a live node holds it (that
        // node is signalled). What hookline_append did for one event, for the timers' events too.
        """
        CREATE FUNCTION hookline_add_work(p_claimant text, p_endpoint text, p_call_id text, p_first bigint, p_count integer,
                                          OUT claim_token bigint, OUT call_version bigint, OUT inherited boolean)
        LANGUAGE plpgsql AS $$
        DECLARE
            held calls;
        BEGIN
            SELECT * INTO held FROM calls WHERE endpoint = p_endpoint AND call_id = p_call_id;
            inherited := false;
            call_version := held.version + p_count;
            IF held.holder = p_claimant THEN
                claim_token := held.token;
                inherited := held.has_pending;
            ELSIF held.holder IS NULL OR NOT hookline_node_is_live(held.holder) THEN
                inherited := held.has_pending;
                held.holder := p_claimant;
                held.token := nextval('claim_tokens');
                claim_token := held.token;
            ELSE
                PERFORM hookline_signal(held.holder, p_endpoint, p_call_id);
            END IF;
            UPDATE calls SET holder = held.holder, token = held.token, version = call_version, has_pending = true,
                             oldest_pending = CASE WHEN held.has_pending THEN least(held.oldest_pending, p_first)
                                                   ELSE p_first END
            WHERE endpoint = p_endpoint AND call_id = p_call_id;
        END
        $$
        """,
        // Turns the call's timers due at p_now into events of the call (its row locked by the caller), in due
        // order, and gives the call their work. Returns the events stored, with what hookline_add_work said.
        """
        CREATE FUNCTION hookline_fire_call(p_claimant text, p_endpoint text, p_call_id text, p_now bigint)
        RETURNS TABLE (event_id bigint, name text, due_at bigint, set_at bigint, data text, set_by bigint, body bytea,
                       claim_token bigint, call_version bigint, inherited boolean)
        LANGUAGE plpgsql AS $$
        DECLARE
            t timers;
            stored bigint;
            fired bigint[] := '{}';
            work record;
        BEGIN
            FOR t IN SELECT * FROM timers x WHERE x.endpoint = p_endpoint AND x.call_id = p_call_id AND x.state = 'pending'
                                             AND x.due_at <= p_now ORDER BY x.due_at, x.name
            LOOP
                INSERT INTO events (received_at, endpoint, type, call_id, dedup_key, request_id, body, size, state)
                SELECT p_now, p_endpoint, 'timer:' || t.name, p_call_id,
                       'timer|' || t.name || '|' || t.due_at || '|' || t.set_by, 'timer', b.body, octet_length(b.body), 'pending'
                FROM (SELECT convert_to(json_build_object('message', json_build_object(
                          'type', 'timer:' || t.name, 'call', json_build_object('id', p_call_id),
                          'timer', json_build_object('name', t.name, 'set_at', t.set_at, 'due_at', t.due_at,
                                                     'set_by', t.set_by, 'data', t.data::json)))::text, 'UTF8') AS body) b
                ON CONFLICT (endpoint, dedup_key) DO NOTHING
                RETURNING id INTO stored;
                -- stored is NULL when this timer's event was stored before (a key fires once)
                UPDATE timers x SET state = 'fired', changed_at = p_now, fired_event = stored
                WHERE x.endpoint = p_endpoint AND x.call_id = p_call_id AND x.name = t.name;
                IF stored IS NOT NULL THEN
                    fired := fired || stored;
                END IF;
            END LOOP;
            IF cardinality(fired) = 0 THEN
                RETURN;
            END IF;
            work := hookline_add_work(p_claimant, p_endpoint, p_call_id, fired[1], cardinality(fired));
            RETURN QUERY
                SELECT e.id, x.name, x.due_at, x.set_at, x.data, x.set_by, e.body, work.claim_token, work.call_version,
                       work.inherited
                FROM events e JOIN timers x ON x.endpoint = e.endpoint AND x.call_id = e.call_id
                                          AND e.type = 'timer:' || x.name
                WHERE e.id = ANY(fired) ORDER BY e.id;
        END
        $$
        """,
        // An append fires the call's timers that came due before the event, so that they are stored before it.
        """
        CREATE OR REPLACE FUNCTION hookline_append(
            p_claimant text, p_received_at bigint, p_endpoint text, p_type text, p_call_id text, p_dedup_key text,
            p_request_id text, p_body bytea, p_warnings text[], p_state text,
            OUT event_id bigint, OUT duplicate boolean, OUT claim_token bigint, OUT call_version bigint,
            OUT inherited boolean
        ) LANGUAGE plpgsql AS $$
        DECLARE
            work record;
        BEGIN
            duplicate := false;
            inherited := false;
            call_version := 0;
            IF p_state = 'pending' THEN
                PERFORM hookline_lock_call(p_endpoint, p_call_id);
                IF EXISTS (SELECT 1 FROM timers t WHERE t.endpoint = p_endpoint AND t.call_id = p_call_id
                                                    AND t.state = 'pending' AND t.due_at <= p_received_at) THEN
                    PERFORM hookline_fire_call(p_claimant, p_endpoint, p_call_id, p_received_at);
                END IF;
            END IF;
            LOOP
                INSERT INTO events (received_at, endpoint, type, call_id, dedup_key, request_id, body, size, warnings, state)
                VALUES (p_received_at, p_endpoint, p_type, p_call_id, p_dedup_key, p_request_id, p_body,
                        octet_length(p_body), p_warnings, p_state)
                ON CONFLICT (endpoint, dedup_key) DO NOTHING
                RETURNING id INTO event_id;
                EXIT WHEN event_id IS NOT NULL;
                SELECT id INTO event_id FROM events WHERE endpoint = p_endpoint AND dedup_key = p_dedup_key;
                IF FOUND THEN
                    duplicate := true;
                    RETURN;
                END IF;
                -- the stored one was pruned meanwhile: store this one
            END LOOP;
            IF p_state <> 'pending' THEN
                RETURN;
            END IF;
            work := hookline_add_work(p_claimant, p_endpoint, p_call_id, event_id, 1);
            claim_token := work.claim_token;
            call_version := work.call_version;
            inherited := work.inherited;
        END
        $$
        """,
        // The timer loop of one node at a time: fires the timers due at p_now of at most p_limit calls, the
        // earliest first, locking the calls' rows in key order as hookline_record does.
        """
        CREATE FUNCTION hookline_fire_due(p_node text, p_now bigint, p_limit bigint)
        RETURNS TABLE (event_id bigint, endpoint text, call_id text, name text, due_at bigint, set_at bigint, data text,
                       set_by bigint, body bytea, claim_token bigint, call_version bigint, inherited boolean)
        LANGUAGE plpgsql AS $$
        DECLARE
            k record;
        BEGIN
            IF NOT pg_try_advisory_xact_lock(\(timerLock)) THEN
                RETURN;
            END IF;
            FOR k IN
                SELECT d.endpoint, d.call_id FROM (
                    SELECT t.endpoint, t.call_id FROM timers t WHERE t.state = 'pending' AND t.due_at <= p_now
                    GROUP BY t.endpoint, t.call_id ORDER BY min(t.due_at) LIMIT p_limit
                ) d ORDER BY d.endpoint, d.call_id
            LOOP
                PERFORM hookline_lock_call(k.endpoint, k.call_id);
                RETURN QUERY SELECT f.event_id, k.endpoint, k.call_id, f.name, f.due_at, f.set_at, f.data, f.set_by, f.body,
                                    f.claim_token, f.call_version, f.inherited
                             FROM hookline_fire_call(p_node, k.endpoint, k.call_id, p_now) f;
            END LOOP;
        END
        $$
        """,
        // hookline_record, then the timer operations of each call whose records were written (its row is still
        // locked): the batch's element for a call carries them in `timers`, those of its successful runs.
        """
        CREATE FUNCTION hookline_record_with_timers(p_node text, p_batch jsonb, p_now bigint)
        RETURNS SETOF text LANGUAGE plpgsql AS $$
        DECLARE
            outcome text;
            position integer := 0;
        BEGIN
            FOR outcome IN SELECT r FROM hookline_record(p_node, p_batch) r LOOP
                IF outcome <> 'fenced' AND jsonb_array_length(coalesce(p_batch->position->'timers', '[]')) > 0 THEN
                    PERFORM hookline_apply_timers(p_batch->position->>'endpoint', p_batch->position->>'call',
                                                  p_batch->position->'timers', p_now);
                END IF;
                position := position + 1;
                RETURN NEXT outcome;
            END LOOP;
        END
        $$
        """,
        // Applies a successful run's timer operations (under its call's locked row): each unless the timer was
        // changed for a later event.
        """
        CREATE FUNCTION hookline_apply_timers(p_endpoint text, p_call_id text, p_operations jsonb, p_now bigint)
        RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            op record;
            changed_for bigint;
        BEGIN
            FOR op IN SELECT o.* FROM jsonb_array_elements(p_operations) WITH ORDINALITY j
                      CROSS JOIN LATERAL jsonb_to_record(j.value) AS o(event bigint, name text, op text, due bigint,
                                                                        set_at bigint, data text)
                      ORDER BY j.ordinality
            LOOP
                SELECT t.op_event INTO changed_for FROM timers t
                WHERE t.endpoint = p_endpoint AND t.call_id = p_call_id AND t.name = op.name;
                CONTINUE WHEN FOUND AND changed_for > op.event;
                INSERT INTO timers AS t (endpoint, call_id, name, state, due_at, set_at, data, set_by, op_event, changed_at)
                VALUES (p_endpoint, p_call_id, op.name, CASE WHEN op.op = 'set' THEN 'pending' ELSE 'cancelled' END,
                        op.due, op.set_at, op.data, CASE WHEN op.op = 'set' THEN op.event END, op.event, p_now)
                ON CONFLICT (endpoint, call_id, name) DO UPDATE SET
                    state = EXCLUDED.state, due_at = EXCLUDED.due_at, set_at = EXCLUDED.set_at, data = EXCLUDED.data,
                    set_by = EXCLUDED.set_by, op_event = EXCLUDED.op_event, changed_at = EXCLUDED.changed_at,
                    fired_event = NULL;
            END LOOP;
        END
        $$
        """,
    ]

    /// The effect record of each run (`EffectRecord`, as JSON text); `host_calls` stays for the runs recorded
    /// before. hookline_record writes it instead of the host-call lines.
    private static let effects = [
        "ALTER TABLE runs ADD COLUMN effects text",
        // a replay whose runs return the effects of the generation before (`hookline replay --reuse-effects`)
        "ALTER TABLE events ADD COLUMN reuse_effects boolean NOT NULL DEFAULT false",
        """
        CREATE FUNCTION hookline_requeue_effects(p_ids bigint[], p_reuse boolean) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            requeued bigint;
        BEGIN
            requeued := hookline_requeue(p_ids);
            UPDATE events SET reuse_effects = p_reuse WHERE id = ANY(p_ids) AND reuse_effects <> p_reuse;
            RETURN requeued;
        END
        $$
        """,
        """
        CREATE OR REPLACE FUNCTION hookline_record(p_node text, p_batch jsonb) RETURNS SETOF text LANGUAGE plpgsql AS $$
        DECLARE
            item record;
            held calls;
            oldest bigint;
        BEGIN
            -- every call's row first, in key order, so that two batches never wait for each other in a circle
            PERFORM 1 FROM calls
            WHERE (endpoint, call_id) IN (SELECT b->>'endpoint', b->>'call' FROM jsonb_array_elements(p_batch) b)
            ORDER BY endpoint, call_id FOR UPDATE;
            FOR item IN SELECT b.value AS records FROM jsonb_array_elements(p_batch) WITH ORDINALITY b ORDER BY b.ordinality
            LOOP
                SELECT * INTO held FROM calls
                WHERE endpoint = item.records->>'endpoint' AND call_id = item.records->>'call';
                IF NOT FOUND OR held.holder IS DISTINCT FROM p_node OR held.token <> (item.records->>'token')::bigint THEN
                    RETURN NEXT 'fenced';
                    CONTINUE;
                END IF;
                INSERT INTO runs (event_id, generation, script, script_version, attempt, started_at, duration_us, outcome,
                                  error_kind, error, error_line, effects)
                SELECT r.event, r.generation, r.script, r.version, r.attempt, r.started, r.duration, r.outcome, r.kind,
                       r.error, r.line, r.effects
                FROM jsonb_to_recordset(item.records->'runs') AS r(event bigint, generation integer, script text,
                     version text, attempt integer, started bigint, duration bigint, outcome text, kind text, error text,
                     line integer, effects text);
                IF jsonb_array_length(item.records->'completions') > 0 THEN
                    UPDATE events e SET state = x.state, finished_at = x.finished
                    FROM jsonb_to_recordset(item.records->'completions') AS x(event bigint, generation integer,
                         state text, finished bigint)
                    WHERE e.id = x.event AND e.generation = x.generation AND e.state = 'pending'
                      AND e.endpoint = held.endpoint AND e.call_id = held.call_id;
                    SELECT min(id) INTO oldest FROM events
                    WHERE endpoint = held.endpoint AND call_id = held.call_id AND state = 'pending';
                    held.has_pending := oldest IS NOT NULL;
                    held.oldest_pending := oldest;
                END IF;
                IF (item.records->>'release')::bigint = held.version THEN
                    UPDATE calls SET holder = NULL, version = version + 1, has_pending = held.has_pending,
                                     oldest_pending = held.oldest_pending
                    WHERE endpoint = held.endpoint AND call_id = held.call_id;
                    RETURN NEXT 'released';
                ELSE
                    UPDATE calls SET has_pending = held.has_pending, oldest_pending = held.oldest_pending
                    WHERE endpoint = held.endpoint AND call_id = held.call_id
                      AND (has_pending, oldest_pending) IS DISTINCT FROM (held.has_pending, held.oldest_pending);
                    RETURN NEXT 'recorded';
                END IF;
            END LOOP;
        END
        $$
        """,
    ]
}
