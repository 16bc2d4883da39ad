-- The web role on a hostile LAN (issue 15): pauses instead of a row per login attempt,
-- dashboard sessions kept on the server, and no signing key in the database.

-- A pause on wrong passwords or PINs, written once when it begins (the wrong tries
-- themselves are counted in the web role's memory). name '' pauses the whole address.
CREATE TABLE login_locks (
    scope TEXT NOT NULL,          -- 'dashboard' or 'rollcall-pin'
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    since TEXT NOT NULL,
    until TEXT NOT NULL,
    PRIMARY KEY (scope, name, address)
);
CREATE INDEX login_locks_until ON login_locks (until);

DROP TABLE login_attempts;

-- A dashboard login: the browser holds a random id, this table only its SHA-256, so a
-- copy of the database cannot be turned into a login.
CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    admin TEXT NOT NULL REFERENCES admins (name) ON DELETE CASCADE,
    address TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin);

-- The session signing key now lives in a 0600 file of the web role (web.secrets_dir).
DELETE FROM settings WHERE key = 'web_secret_key';
