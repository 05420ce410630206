import redis as redis_client

from tests.services import own_postgres, own_redis


def test_own_redis_stops_and_starts_on_its_port(tmp_path):
    with own_redis(tmp_path) as server:
        client = redis_client.Redis.from_url(server.url(3))
        assert client.ping()
        server.stop()
        try:
            client.ping()
            raise AssertionError("Redis answered after it was stopped")
        except redis_client.ConnectionError:
            pass
        server.start()
        assert client.ping()


def test_own_postgres_stops_and_starts_and_is_removed():
    with own_postgres() as pg:
        pg.createdb("scratch")
        assert pg.psql("SELECT 1", database="scratch") == "1"
        pg.stop()
        pg.start()
        assert pg.psql("SELECT current_database()", database="scratch") == "scratch"
        cluster = pg.cluster
    import subprocess

    assert cluster not in subprocess.run(["pg_lsclusters"], capture_output=True, text=True).stdout
