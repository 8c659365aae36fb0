"""`albumen admin`: account recovery and inspection, run on the server host."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Annotated

import typer

from albumen.kit import crypto

admin_app = typer.Typer(help="Administer accounts from the command line.", no_args_is_help=True)


@admin_app.command("list-users")
def list_users(
    config: Annotated[Path | None, typer.Option("--config", envvar="ALBUMEN_CONFIG")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Print every account: id, email, name, admin flag, deleted date."""
    from albumen.cli.main import settings_or_exit
    from albumen.cli.runtime import database_session
    from albumen.users.repository import UserRepository

    settings = settings_or_exit(config, data_dir=data_dir)

    async def run() -> None:
        async with database_session(settings) as database, database.unit_of_work() as session:
            for user in await UserRepository(session).list(with_deleted=True):
                role = "admin" if user.is_admin else "user"
                deleted = f" deleted={user.deleted_at.isoformat()}" if user.deleted_at else ""
                typer.echo(f"{user.id}  {user.email}  {user.name!r}  {role}{deleted}")

    asyncio.run(run())


@admin_app.command("reset-admin-password")
def reset_admin_password(
    config: Annotated[Path | None, typer.Option("--config", envvar="ALBUMEN_CONFIG")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    password: Annotated[
        str | None, typer.Option(help="new password; a random one is generated and printed when omitted")
    ] = None,
) -> None:
    """Set a new password for the admin (who must change it at next login) and end their sessions."""
    from albumen.cli.main import settings_or_exit
    from albumen.cli.runtime import database_session
    from albumen.sessions.repository import SessionRepository
    from albumen.users.repository import UserRepository

    settings = settings_or_exit(config, data_dir=data_dir)
    new_password = password or secrets.token_urlsafe(18)

    async def run() -> str | None:
        async with database_session(settings) as database, database.unit_of_work() as session:
            users = UserRepository(session)
            admin = await users.get_admin()
            if admin is None:
                return None
            await users.update(
                admin.id, password=await crypto.hash_secret(new_password), should_change_password=True
            )
            await SessionRepository(session).delete_all_for_user(admin.id)
            return admin.email

    email = asyncio.run(run())
    if email is None:
        typer.echo("albumen: there is no admin account yet; open the web app to create one", err=True)
        raise typer.Exit(1)
    typer.echo(f"The admin ({email}) password is now: {new_password}")


@admin_app.command("apply-storage-template")
def apply_storage_template(
    config: Annotated[Path | None, typer.Option("--config", envvar="ALBUMEN_CONFIG")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
) -> None:
    """Move every original to where the storage template (system config) puts it, safely: each move is
    recorded first, copied, checked and only then is the old file removed. Safe to stop and rerun."""
    from albumen.assets.repository import AssetRepository
    from albumen.assets.tasks import TemplateSettings, migrate_storage_template
    from albumen.cli.main import settings_or_exit
    from albumen.cli.runtime import database_session
    from albumen.kit.startup import StartupError, close_storage, prepare_storage
    from albumen.system.config import load_config
    from albumen.system.repository import SystemMetadataRepository

    settings = settings_or_exit(config, data_dir=data_dir)

    async def run() -> int:
        try:
            storage = await prepare_storage(settings)
        except StartupError as error:
            typer.echo(f"albumen: {error}", err=True)
            raise typer.Exit(2) from None
        try:
            async with database_session(settings) as database:
                async with database.unit_of_work() as session:
                    system = await load_config(SystemMetadataRepository(session), settings.config_file)
                    total = await AssetRepository(session).count_uploaded()
                template = TemplateSettings.of(system)
                if not template.enabled:
                    typer.echo("albumen: the storage template is disabled in the system config", err=True)
                    raise typer.Exit(1)
                with typer.progressbar(length=total or 0, label="Applying the storage template") as bar:
                    return await migrate_storage_template(database, storage, template, bar.update)
        finally:
            close_storage(storage)

    moved = asyncio.run(run())
    typer.echo(f"Moved {moved} original{'s' if moved != 1 else ''}.")
