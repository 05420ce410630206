"""PostgreSQL stops under pg_dump: the backup ends failed with pg_dump's reason once the database is back.

Its own cluster and Redis (tests/services.py); manage.py backup in its own process, as an
operator or the worker runs it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psycopg
from pyrage import x25519

from tests.health.test_dependencies_down import _env, _manage
from tests.services import own_postgres, own_redis


def test_postgresql_stopped_under_pg_dump_leaves_a_failed_row_with_pg_dump_s_reason(tmp_path):
    with own_postgres() as pg, own_redis(tmp_path / "redis") as redis:
        pg.createdb("haven")
        (tmp_path / "var").mkdir(mode=0o700)
        env = {**_env(pg, redis, tmp_path / "var"), "HAVEN_BACKUP_DIR": str(tmp_path / "backups"),
               "HAVEN_BACKUP_RECIPIENTS": str(x25519.Identity.generate().to_public())}  # fmt: skip
        assert _manage(env, "migrate", "--noinput").returncode == 0
        lock = psycopg.connect(pg.url("haven"))
        lock.execute("LOCK TABLE health_heartbeat IN ACCESS EXCLUSIVE MODE")  # pg_dump waits for it
        backup = subprocess.Popen([sys.executable, "manage.py", "backup"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while "pg_dump" not in pg.psql(
                "SELECT coalesce(string_agg(application_name, ','), '') FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock'"
            ):
                assert time.monotonic() < deadline and backup.poll() is None
                time.sleep(0.2)
            pg.stop()  # pg_dump and the backup's own connection lose the server
            time.sleep(3)
            pg.start()
            out, _ = backup.communicate(timeout=240)
        finally:
            backup.kill()
        assert backup.returncode == 1 and "Backup failed: pg_dump" in out and "Traceback" not in out, out
        row = pg.psql("SELECT status || '|' || error FROM backups_backup", database="haven")
        assert row.startswith("failed|pg_dump") and "Connection refused" not in row.split("|")[0], row
        assert sorted((tmp_path / "backups").iterdir()) == []
        event = pg.psql(
            "SELECT count(*) FROM audit_auditevent WHERE action = 'backups.backup.failed'", database="haven"
        )
        assert event == "1"
