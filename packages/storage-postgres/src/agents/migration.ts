import type { Migration } from '../migrations.js'

/**
 * Migration 6: agents (issue 13, seed 002) on top of the `workers` table of migration 5.
 *
 * - `workers.desired`: what an operator asked of the worker (`run`, `pause`, `stop`), with who,
 *   why and when. The worker reads it with its heartbeat, and its claim statement refuses work
 *   while it is not `run`, so a pause holds from the moment `weft agents pause` commits.
 * - `agent_events`: the agents' log. Agents belong to no run, so their events cannot go into a
 *   run's log (as the queue flag's history lives in `queue_events`).
 * - Triggers on `workers` write that log, so every path that changes a record (a worker's
 *   register, heartbeat and stop, the expiry sweep, a takeover by a restarted process) is logged
 *   the same way without event code in the worker loop: a new holder is `agent.registered` (and
 *   a holder that never said it stopped is `agent.failed` first); a status change to paused,
 *   draining, stopped or failed, and from paused back to work, is an event. idle ⇄ busy and
 *   starting → idle are not: they happen with every claim. A record marked failed (expired)
 *   whose process heartbeats again is `agent.recovered`.
 * - A new holder clears a desired `stop` (starting a worker again means run it) but keeps
 *   `pause`: an agent paused by an operator and restarted after a crash comes back paused.
 */
export const AGENTS_MIGRATION: Migration = {
  version: 6,
  name: 'agents',
  sql: `
    ALTER TABLE {s}workers
      ADD COLUMN desired text COLLATE "C" NOT NULL DEFAULT 'run' CHECK (desired IN ('run', 'pause', 'stop')),
      ADD COLUMN desired_reason text,
      ADD COLUMN desired_by text,
      ADD COLUMN desired_at timestamptz;

    CREATE TABLE {s}agent_events (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      ts          timestamptz NOT NULL DEFAULT now(),
      agent       text COLLATE "C" NOT NULL,
      type        text COLLATE "C" NOT NULL,
      reason      text,
      changed_by  text,
      data        text
    );
    CREATE INDEX agent_events_by_agent ON {s}agent_events (agent, id);

    CREATE FUNCTION {s}weft_agent_holder() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.desired = 'stop' THEN
        NEW.desired := 'run';
        NEW.desired_reason := NULL;
        NEW.desired_by := NULL;
        NEW.desired_at := now();
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER weft_agent_holder BEFORE UPDATE OF owner ON {s}workers
      FOR EACH ROW WHEN (OLD.owner IS DISTINCT FROM NEW.owner) EXECUTE FUNCTION {s}weft_agent_holder();

    CREATE FUNCTION {s}weft_agent_log() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      v_type text;
      v_reason text;
    BEGIN
      IF TG_OP = 'INSERT' OR OLD.owner IS DISTINCT FROM NEW.owner THEN
        IF TG_OP = 'UPDATE' AND OLD.status NOT IN ('stopped', 'failed') THEN
          INSERT INTO {s}agent_events (agent, type, reason, data) VALUES (NEW.name, 'agent.failed',
            'its process ended without stopping (last heartbeat ' || OLD.heartbeat_at || '); a new process took the name over',
            json_build_object('host', OLD.host, 'pid', OLD.pid, 'status', OLD.status)::text);
        END IF;
        INSERT INTO {s}agent_events (agent, type, data) VALUES (NEW.name, 'agent.registered',
          json_build_object('host', NEW.host, 'pid', NEW.pid, 'capacity', NEW.capacity, 'backends', NEW.backends)::text);
        RETURN NULL;
      END IF;
      v_type := CASE
        WHEN NEW.status = 'paused' THEN 'agent.paused'
        WHEN NEW.status = 'draining' THEN 'agent.draining'
        WHEN NEW.status = 'stopped' THEN 'agent.stopped'
        WHEN NEW.status = 'failed' THEN 'agent.failed'
        WHEN OLD.status = 'paused' THEN 'agent.resumed'
        -- Marked failed when its record expired (e.g. the database was unreachable for longer
        -- than the lease), and heartbeating again: the same process is back.
        WHEN OLD.status = 'failed' THEN 'agent.recovered'
      END;
      IF v_type IS NULL THEN RETURN NULL; END IF;
      IF NEW.status = 'failed' AND NEW.expires_at <= now() THEN
        v_reason := 'no heartbeat since ' || OLD.heartbeat_at;
      ELSIF NEW.status IN ('paused', 'stopped', 'draining') OR OLD.status = 'paused' THEN
        v_reason := NEW.desired_reason;
      END IF;
      INSERT INTO {s}agent_events (agent, type, reason, data) VALUES (NEW.name, v_type, v_reason,
        json_build_object('from', OLD.status, 'to', NEW.status, 'running', NEW.running)::text);
      RETURN NULL;
    END $$;
    CREATE TRIGGER weft_agent_registered AFTER INSERT ON {s}workers
      FOR EACH ROW EXECUTE FUNCTION {s}weft_agent_log();
    CREATE TRIGGER weft_agent_changed AFTER UPDATE OF status, owner ON {s}workers
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.owner IS DISTINCT FROM NEW.owner)
      EXECUTE FUNCTION {s}weft_agent_log();
  `,
}
