"""Management commands. `python manage.py migrate` is the release command:
it applies pending migrations to the SQLite database at $DATABASE_PATH."""
import os
import sqlite3
import sys
from datetime import datetime, timezone

DEFAULT_DATABASE_PATH = "./data/app.sqlite3"

# Ordered migrations: (version, name, statements). Each runs in one transaction.
MIGRATIONS = [
    (1, "create greetings", [
        "CREATE TABLE greetings (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    ]),
    (2, "seed greetings", [
        "INSERT INTO greetings (text) VALUES ('hello'), ('bonjour'), ('hola')",
    ]),
    (3, "add greetings.language", [
        "ALTER TABLE greetings ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",
        "UPDATE greetings SET language = 'fr' WHERE text = 'bonjour'",
        "UPDATE greetings SET language = 'es' WHERE text = 'hola'",
    ]),
]


def database_path():
    return os.environ.get("DATABASE_PATH") or DEFAULT_DATABASE_PATH


def migrate(path):
    if os.environ.get("MIGRATION_FAIL", "").strip().lower() in ("1", "t", "true"):
        print("migration failed: MIGRATION_FAIL=1 is set (simulated failure), "
              "database left untouched", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, DDL included.
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        applied = 0
        for version, name, statements in MIGRATIONS:
            db.execute("BEGIN IMMEDIATE")  # take the write lock, then re-check
            try:
                if db.execute("SELECT 1 FROM schema_migrations WHERE version = ?",
                              (version,)).fetchone():
                    db.execute("ROLLBACK")
                    continue
                for sql in statements:
                    db.execute(sql)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                           (version, name, datetime.now(timezone.utc).isoformat()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            print(f"applied migration {version}: {name}")
            applied += 1
        latest = MIGRATIONS[-1][0]
        if applied:
            print(f"schema now at {latest} ({path})")
        else:
            print(f"schema already at {latest}, nothing to do")
        return 0
    finally:
        db.close()


def schema_version(path):
    """The highest applied migration, or None when there is no database yet."""
    if not os.path.exists(path):
        return None
    try:
        db = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True)
        try:
            return db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None


def main(argv):
    if argv[1:] == ["migrate"]:
        return migrate(database_path())
    print("usage: python manage.py migrate", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
