-- Member decisions: proposals and polls voted on at the kiosk (appliance/decisions/,
-- docs/DECISIONS.md). Secret by construction: who has voted (decision_voters) and the
-- counts (decision_tally, decision_turnout) are kept apart, with no identifier shared
-- between them; nothing here says which person chose what.

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',        -- what is being decided and why, in plain words
    kind TEXT NOT NULL CHECK (kind IN ('proposal', 'single', 'multiple')),
    options TEXT NOT NULL,                -- JSON list of the options' labels (a proposal: Yes, No, Abstain)
    max_choices INTEGER NOT NULL DEFAULT 1 CHECK (max_choices >= 1),
    electorate TEXT NOT NULL CHECK (electorate IN ('members', 'members_volunteers', 'signed_in')),
    opens_at TEXT NOT NULL,               -- UTC ISO-8601
    closes_at TEXT NOT NULL,
    quorum INTEGER,                       -- a proposal needs at least this many votes (NULL: none)
    threshold TEXT NOT NULL DEFAULT 'majority' CHECK (threshold IN ('majority', 'two_thirds', 'three_quarters')),
    changes_allowed INTEGER NOT NULL DEFAULT 0,
    comments TEXT NOT NULL DEFAULT 'off' CHECK (comments IN ('off', 'signed', 'anonymous')),
    comments_public INTEGER NOT NULL DEFAULT 0,  -- comments shown on the display (never who wrote them)
    open_tally INTEGER NOT NULL DEFAULT 0,       -- the running counts may be seen while voting
    salt TEXT NOT NULL,                   -- random, per ballot: the key of its vote receipts
    closed_at TEXT,                       -- set by the agent's close job at closes_at
    annulled_at TEXT,
    annul_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Who has voted (to stop a second vote). No time, no choice, no order: WITHOUT ROWID keeps
-- the rows in key order, not the order people voted in.
CREATE TABLE decision_voters (
    decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (decision_id, person_id)
) WITHOUT ROWID;

-- The counts per option (its index in decisions.options).
CREATE TABLE decision_tally (
    decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    option INTEGER NOT NULL,
    count INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (decision_id, option)
) WITHOUT ROWID;

-- How many people voted: kept apart from decision_voters, so erasing a person removes
-- their mark and keeps their vote.
CREATE TABLE decision_turnout (
    decision_id INTEGER PRIMARY KEY REFERENCES decisions(id) ON DELETE CASCADE,
    cast_votes INTEGER NOT NULL DEFAULT 0
);

-- What a fob voter chose, to take it back when they change their vote (only when the
-- ballot allows changes): keyed by HMAC(salt, a key derived from the fob's number by the
-- agent's fob secret), which the database never holds. Key order, not voting order.
CREATE TABLE decision_receipts (
    decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    receipt TEXT NOT NULL,
    choices TEXT NOT NULL,                -- JSON list of option indexes
    PRIMARY KEY (decision_id, receipt)
) WITHOUT ROWID;

-- Short comments left at the kiosk; person_id only when the ballot's comments are signed.
CREATE TABLE decision_comments (
    id INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX decision_comments_decision ON decision_comments (decision_id, id);
