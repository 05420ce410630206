"""Stop at once, with a way out, when PostgreSQL or Redis cannot be reached."""

import os
import sys

import psycopg
import redis

HOW = (
    "Start them (for example: docker compose up -d postgres redis, then pass DATABASE_URL as the top of "
    "docker-compose.yml shows), or point DATABASE_URL and REDIS_URL at running servers."
)


def main() -> int:
    problems = []
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at {url} cannot be reached: {str(exc).splitlines()[0]}")
    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {os.environ['REDIS_URL']} cannot be reached: {exc}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(HOW, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
