-- The dashboard: who did what (audit log) and login attempts (lockout survives restarts).

-- Every admin action worth answering for later ("who erased this person?").
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    admin TEXT NOT NULL,
    action TEXT NOT NULL,         -- e.g. login, logout, token_issued, person_erased
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Each login attempt, kept briefly: five failures in five minutes lock an account name
-- and, separately, the address they came from.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    name TEXT NOT NULL,           -- the name typed, whether or not such an admin exists
    address TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'locked'))
);
CREATE INDEX login_attempts_name ON login_attempts (name, at);
CREATE INDEX login_attempts_address ON login_attempts (address, at);
