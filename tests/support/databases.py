"""Fresh databases per test, cloned from a migrated template so each costs milliseconds."""

from __future__ import annotations

import itertools
from urllib.parse import urlparse, urlunparse

import asyncpg

from albumen.kit.db import create_engine
from albumen.kit.migrate import upgrade

TEMPLATE = "albumen_template"
_counter = itertools.count()


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


async def create_template(server_url: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
        await connection.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await connection.close()
    engine = create_engine(with_database(server_url, TEMPLATE), pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def fresh_database(server_url: str) -> str:
    name = f"albumen_test_{next(_counter)}"
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await connection.close()
    return with_database(server_url, name)
