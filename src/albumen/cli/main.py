"""The `albumen` command: serve, worker, migrate, admin."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from albumen.cli.admin import admin_app
from albumen.config import ConfigError, Settings, load_settings

app = typer.Typer(help="Albumen: a photo and video server that speaks the Immich API.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="ALBUMEN_CONFIG", help="YAML settings file", show_envvar=True),
]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="where data lives [ALBUMEN_DATA_DIR]")]


def settings_or_exit(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as error:
        typer.echo(f"albumen: {error}", err=True)
        raise typer.Exit(2) from None


class GracefulServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its graceful shutdown, which would end the process with -15
    before our cleanup; a finished graceful shutdown is a normal exit (status 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="listen address [ALBUMEN_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="listen port [ALBUMEN_PORT]")] = None,
    data_dir: DataDirOption = None,
    workers: Annotated[
        bool | None,
        typer.Option(
            "--workers/--no-workers", help="run job workers in this process too [ALBUMEN_JOB_WORKERS]"
        ),
    ] = None,
    web_dir: Annotated[
        Path | None,
        typer.Option("--web-dir", help="a built Immich web app to serve at / [ALBUMEN_WEB_DIR]"),
    ] = None,
) -> None:
    """Run the HTTP server (with its embedded database unless ALBUMEN_DATABASE_URL is set)."""
    from albumen.kit.memory import limit_malloc_arenas
    from albumen.kit.startup import StartupError, prepare
    from albumen.main import create_app
    from albumen.telemetry.logging import configure_logging

    settings = settings_or_exit(
        config, host=host, port=port, data_dir=data_dir, job_workers=workers, web_dir=web_dir
    )
    configure_logging(settings.log_level, settings.log_format)
    limit_malloc_arenas()
    try:
        prepared = asyncio.run(prepare(settings))
    except StartupError as error:
        typer.echo(f"albumen: {error}", err=True)
        raise typer.Exit(2) from None
    server = GracefulServer(
        uvicorn.Config(
            create_app(settings, prepared),
            host=settings.host,
            port=settings.port,
            log_config=None,
            proxy_headers=True,
            timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
            ws="websockets-sansio",
        )
    )
    try:
        server.run()
    finally:
        prepared.stop()
    if not server.started:
        sys.exit(1)


@app.command()
def migrate(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Bring the database schema up to date, then exit."""
    from albumen.cli.runtime import database_session

    settings = settings_or_exit(config, data_dir=data_dir)

    async def run() -> None:
        async with database_session(settings):
            pass  # opening the database runs the migrations

    asyncio.run(run())
    typer.echo("database schema is up to date")


@app.command()
def worker(
    config: ConfigOption = None,
    queues: Annotated[
        str, typer.Option(help="comma-separated Immich queue names (e.g. thumbnailGeneration), or 'all'")
    ] = "all",
    data_dir: DataDirOption = None,
) -> None:
    """Run background job workers for some queues, next to `albumen serve` (which runs them all too,
    unless started with --no-workers). Its jobs' client events reach the apps only through Redis."""
    from albumen.jobs.schemas import QueueName
    from albumen.jobs.tasks import run_worker
    from albumen.kit.startup import StartupError
    from albumen.telemetry.logging import configure_logging

    settings = settings_or_exit(config, data_dir=data_dir)
    names = [name.strip() for name in queues.split(",") if name.strip()]
    known = {queue.value: queue for queue in QueueName}
    if names == ["all"]:
        chosen = list(QueueName)
    elif not names or any(name not in known for name in names):
        unknown = ", ".join(name for name in names if name not in known) or "(none given)"
        typer.echo(f"albumen: unknown queue {unknown} (--queues); one of: {', '.join(known)}", err=True)
        raise typer.Exit(2)
    else:
        chosen = [known[name] for name in names]
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(run_worker(settings, chosen))
    except StartupError as error:
        typer.echo(f"albumen: {error}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    app()
