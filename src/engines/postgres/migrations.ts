/**
 * The schema, as an append-only list: a released migration is never edited, a change is a new entry
 * with the next version. Each runs in its own transaction with `search_path` set to the engine's
 * schema, so names here are unqualified.
 *
 * Types chosen on purpose:
 * - Ids are `text COLLATE "C"`: byte order, which for the UUIDv7 ids we issue is the order the domain
 *   compares ids in (`src/domain/version.ts`, JavaScript `<`) whatever the database's locale. Not
 *   `uuid`, because a rejected message may carry any id, and a lookup of a malformed id must answer
 *   "not found", not a cast error.
 * - Version columns are `timestamptz`, written at millisecond precision, so `(submitted_at, wish_id)`
 *   orders exactly like `compareVersions` (`Date.parse`, then id). `wishes.submitted_at` keeps the
 *   text as received, because the record must give back what it was given.
 * - Bodies are `json`, not `jsonb`: stored verbatim (jsonb refuses `\u0000` and lone surrogates,
 *   which JSON.stringify can emit) and still queryable by an operator.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '0001_system_of_record',
    sql: `
CREATE TABLE wishes (
  id           text COLLATE "C" PRIMARY KEY,
  evacuee_id   text NOT NULL,
  status       text NOT NULL CHECK (status IN ('stored', 'superseded', 'rejected')),
  reason       text,
  submitted_at text NOT NULL,
  body         json,                                   -- the parsed wish; NULL for a rejection
  recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per evacuee: their current wish. The conditional upsert on this row is what serialises
-- writers of the same evacuee (see wish-store.ts).
CREATE TABLE current_wishes (
  evacuee_id       text PRIMARY KEY,
  wish_id          text COLLATE "C" NOT NULL,
  submitted_at     timestamptz NOT NULL,
  destination      text NOT NULL,
  -- The wish this row last replaced: lets the upsert name the loser in its RETURNING, which sees
  -- only the new row (before PostgreSQL 18). Meaningful only to the statement that wrote it.
  replaced_wish_id text COLLATE "C"
);
-- countCurrent() reads this index only (an index-only scan once vacuumed), not the rows.
CREATE INDEX current_wishes_by_destination ON current_wishes (destination);

CREATE TABLE evacuees (
  id   text PRIMARY KEY,
  name text NOT NULL
);
`,
  },
  {
    version: 2,
    name: '0002_wall_and_tally',
    sql: `
CREATE TABLE wall (
  evacuee_id           text PRIMARY KEY,
  wish_id              text COLLATE "C" NOT NULL,
  submitted_at         timestamptz NOT NULL,
  destination          text NOT NULL,
  item                 json NOT NULL,                  -- the WallItem, ready to serve
  -- The destination before this row's last change, for the same reason as
  -- current_wishes.replaced_wish_id: the upsert returns which count to move.
  previous_destination text
);
-- Newest first, and keyset pages on (submitted_at, wish_id): a page is one index range scan of
-- 'limit' entries however deep the reader has paged.
CREATE INDEX wall_newest ON wall (submitted_at DESC, wish_id DESC);
CREATE INDEX wall_newest_by_destination ON wall (destination, submitted_at DESC, wish_id DESC);

-- Counts per destination, split into shards: every wall change moves a count, and one row per
-- destination would make every concurrent tally writer queue for the same row lock until commit.
-- A writer picks a shard at random; a destination's count is the sum of its shards (a shard may be
-- negative: a +1 and its later -1 can land in different shards).
CREATE TABLE tally (
  destination text NOT NULL,
  shard       smallint NOT NULL,
  evacuees    integer NOT NULL,
  PRIMARY KEY (destination, shard)
);
`,
  },
  {
    version: 3,
    name: '0003_canary_note',
    sql: `
-- The newest synthetic canary wish the tally took (domain/canary.ts): one row, never on the wall,
-- never counted. submitted_at keeps the text as received (given back as it came); version_at
-- orders it like the wall's rows.
CREATE TABLE canary (
  slot         smallint PRIMARY KEY CHECK (slot = 1),
  wish_id      text COLLATE "C" NOT NULL,
  version_at   timestamptz NOT NULL,
  submitted_at text NOT NULL
);
`,
  },
];
