"""The Python Immich clients against `albumen serve`: immichpy (typed, generated from Immich's spec) and
aioimmich (Home Assistant's integration).

immichpy signs up admin@immich.test, creates a user on a `.test` address and uploads a folder into an
album as that user; aioimmich, with the user's API key, reads what Home Assistant reads (server info,
the user, albums, thumbnails and previews) and uploads a file of its own.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import aiohttp
import pytest
import pyvips  # type: ignore[import-untyped]
from aioimmich import Immich
from immichpy import AsyncClient
from immichpy.client.generated import (
    ApiException,
    ApiKeyCreateDto,
    AssetMediaSize,
    Configuration,
    LoginCredentialDto,
    Permission,
    SignUpDto,
    UserAdminCreateDto,
)
from immichpy.client.types import UploadResult

from tests.conftest import ASSETS_DIR
from tests.e2e.harness import ADMIN_EMAIL, serving
from tests.support.server import RunningServer, assert_no_traceback

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"
USER_EMAIL = "family@home.test"
NATURE = ASSETS_DIR / "albums" / "nature"
EXTRA = ASSETS_DIR / "albums" / "text" / "craft-beer.jpg"
ALBUM = "Nature walks"
T = TypeVar("T")


def sha1(path: Path) -> bytes:
    return hashlib.sha1(path.read_bytes()).digest()


def assert_is_a_smaller_image(data: bytes, original: Path) -> int:
    """JPEG or WebP bytes of an image no larger than the original; answers its width."""
    assert data[:3] == b"\xff\xd8\xff" or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"), data[:16]
    image = pyvips.Image.new_from_buffer(data, "")
    source = pyvips.Image.new_from_file(str(original))
    assert 0 < image.width <= source.width
    assert 0 < image.height <= source.height
    width: int = image.width
    return width


async def eventually(call: Callable[[], Awaitable[T]], timeout: float = 90) -> T:
    """The thumbnail job runs after the upload answers: ask until it has (or give its last error)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except Exception:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.5)


@dataclass(frozen=True)
class Family:
    admin_id: UUID
    admin_token: str
    user_id: UUID
    user_token: str
    user_api_key: str
    admin_api_key: str
    files: dict[Path, UUID]  # what the user uploaded, by its local copy
    upload: UploadResult


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving(tmp_path_factory.mktemp("python-clients") / "data") as running:
        yield running
    assert_no_traceback(running)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nature")
    for path in NATURE.glob("*.jpg"):
        shutil.copy(path, root / path.name)
    return root


@pytest.fixture(scope="module")
async def family(server: RunningServer, folder: Path) -> Family:
    async with AsyncClient(base_url=server.base_url) as anonymous:
        admin = await anonymous.auth.sign_up_admin(
            SignUpDto(email=ADMIN_EMAIL, password=PASSWORD, name="Admin")
        )
        admin_login = await anonymous.auth.login(LoginCredentialDto(email=ADMIN_EMAIL, password=PASSWORD))
        async with AsyncClient(base_url=server.base_url, access_token=admin_login.access_token) as as_admin:
            user = await as_admin.users_admin.create_user_admin(
                UserAdminCreateDto(email=USER_EMAIL, password=PASSWORD, name="Family")
            )
            admin_key = await as_admin.api_keys.create_api_key(
                ApiKeyCreateDto(name="home assistant (admin)", permissions=[Permission.ALL])
            )
        user_login = await anonymous.auth.login(LoginCredentialDto(email=USER_EMAIL, password=PASSWORD))
    async with AsyncClient(base_url=server.base_url, access_token=user_login.access_token) as as_user:
        upload = await as_user.assets.upload(folder, album_name=ALBUM, concurrency=2)
        key = await as_user.api_keys.create_api_key(
            ApiKeyCreateDto(name="home assistant", permissions=[Permission.ALL])
        )
    assert str(admin.id) == str(admin_login.user_id)
    return Family(
        admin_id=admin.id,
        admin_token=admin_login.access_token,
        user_id=user.id,
        user_token=user_login.access_token,
        user_api_key=key.secret,
        admin_api_key=admin_key.secret,
        files={entry.filepath: UUID(str(entry.asset.id)) for entry in upload.uploaded},
        upload=upload,
    )


@pytest.fixture
async def as_user(server: RunningServer, family: Family) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(base_url=server.base_url, access_token=family.user_token) as client:
        yield client


@asynccontextmanager
async def aioimmich(server: RunningServer, api_key: str) -> AsyncIterator[Immich]:
    address = urlsplit(server.base_url)
    assert address.hostname is not None
    assert address.port is not None
    async with aiohttp.ClientSession() as session:
        immich = Immich(session, api_key, address.hostname, address.port, use_ssl=False)
        await immich.async_setup()
        yield immich


@pytest.fixture
async def home_assistant(server: RunningServer, family: Family) -> AsyncIterator[Immich]:
    async with aioimmich(server, family.user_api_key) as immich:
        yield immich


# --- immichpy --------------------------------------------------------------------------------------------


def test_immichpy_is_the_release_generated_from_immich_3_1_0() -> None:
    """immichpy's typed models follow one Immich release; 9.x (3.3.x) requires fields 3.1.0 never sends."""
    assert "Version of the API: 3.1.0" in Configuration().to_debug_report()


async def test_immichpy_signs_up_the_admin_and_creates_a_user_on_test_addresses(
    server: RunningServer, as_user: AsyncClient, family: Family
) -> None:
    me = await as_user.users.get_my_user()
    assert (me.id, me.email, me.name) == (family.user_id, USER_EMAIL, "Family")
    async with AsyncClient(base_url=server.base_url, access_token=family.admin_token) as admin:
        admin_me = await admin.users.get_my_user()
        assert (admin_me.email, admin_me.is_admin) == (ADMIN_EMAIL, True)
        listed = await admin.users_admin.search_users_admin()
        assert {user.email for user in listed} == {ADMIN_EMAIL, USER_EMAIL}


async def test_immichpy_uploads_the_folder_into_the_album(
    as_user: AsyncClient, family: Family, folder: Path
) -> None:
    files = sorted(folder.glob("*.jpg"))
    assert family.upload.failed == []
    assert family.upload.rejected == []
    assert family.upload.stats.uploaded == len(files) == len(family.files)
    assert set(family.files) == set(files)

    albums = await as_user.albums.get_all_albums()
    (album,) = albums
    assert (album.album_name, album.asset_count) == (ALBUM, len(files))
    owner = album.album_users[0]  # the spec: the first entry is always the owner
    assert (str(owner.user.id), owner.role) == (str(family.user_id), "owner")
    assert album.album_thumbnail_asset_id in family.files.values()


async def test_immichpy_reads_asset_info(as_user: AsyncClient, family: Family) -> None:
    for path, asset_id in family.files.items():
        info = await as_user.assets.get_asset_info(asset_id)
        assert info.original_file_name == path.name
        assert base64.b64decode(info.checksum) == sha1(path)
        assert info.owner_id == family.user_id
        assert info.type == "IMAGE"


async def test_immichpy_finds_the_second_upload_all_duplicates(
    as_user: AsyncClient, family: Family, folder: Path
) -> None:
    again = await as_user.assets.upload(folder, album_name=ALBUM)

    assert again.uploaded == []
    assert {(entry.filepath, entry.reason) for entry in again.rejected} == {
        (path, "duplicate") for path in family.files
    }
    assert {entry.asset_id for entry in again.rejected} == set(family.files.values())
    (album,) = await as_user.albums.get_all_albums()
    assert album.asset_count == len(family.files)


@pytest.mark.parametrize("edited", [None, False, True])
async def test_immichpy_reads_thumbnails_and_previews(
    as_user: AsyncClient, family: Family, edited: bool | None
) -> None:
    """edited=true answers the edited version, or the plain one for an asset never edited (as Immich)."""
    path, asset_id = sorted(family.files.items())[0]
    await eventually(lambda: as_user.assets.view_asset(asset_id))

    thumbnail = await as_user.assets.view_asset(asset_id, size=AssetMediaSize.THUMBNAIL, edited=edited)
    preview = await as_user.assets.view_asset(asset_id, size=AssetMediaSize.PREVIEW, edited=edited)

    assert assert_is_a_smaller_image(thumbnail, path) < assert_is_a_smaller_image(preview, path)


async def test_immichpy_surfaces_a_missing_asset_as_an_api_error(as_user: AsyncClient) -> None:
    with pytest.raises(ApiException) as raised:
        await as_user.assets.get_asset_info(UUID("00000000-0000-4000-8000-000000000000"))
    assert raised.value.status == 400


# --- aioimmich (Home Assistant) --------------------------------------------------------------------------


async def test_aioimmich_reads_the_server(home_assistant: Immich) -> None:
    version = await home_assistant.server.async_get_version()
    assert (version.major, version.minor, version.patch) == (3, 1, 0)
    about = await home_assistant.server.async_get_about_info()
    assert about.version == "v3.1.0"
    storage = await home_assistant.server.async_get_storage_info()
    assert storage.disk_size_raw > 0
    assert 0 <= storage.disk_use_raw <= storage.disk_size_raw
    check = await home_assistant.server.async_get_version_check()
    assert check is not None


async def test_aioimmich_reads_the_statistics_with_an_admin_key(
    server: RunningServer, family: Family, as_user: AsyncClient
) -> None:
    """Home Assistant shows per-user usage when its key is an admin's."""
    async with aioimmich(server, family.admin_api_key) as immich:
        statistics = await immich.server.async_get_server_statistics()
    photos = (await as_user.assets.get_asset_statistics()).images
    assert photos >= len(family.files)
    assert (statistics.photos, statistics.videos) == (photos, 0)
    by_user = {usage.user_id: usage for usage in statistics.usage_by_user}
    assert by_user[str(family.user_id)].photos == photos
    assert by_user[str(family.admin_id)].photos == 0


async def test_aioimmich_reads_the_user(home_assistant: Immich, family: Family) -> None:
    me = await home_assistant.users.async_get_my_user()
    assert (me.user_id, me.email, me.name) == (str(family.user_id), USER_EMAIL, "Family")


async def test_aioimmich_reads_the_albums(home_assistant: Immich, family: Family) -> None:
    (album,) = await home_assistant.albums.async_get_all_albums()
    assert (album.album_name, album.asset_count) == (ALBUM, len(family.files))
    info = await home_assistant.albums.async_get_album_info(album.album_id)
    assert (info.album_id, info.album_name, info.asset_count) == (album.album_id, ALBUM, len(family.files))
    assert [a.album_id for a in await home_assistant.albums.async_filter_albums_by_name("walks")] == [
        album.album_id
    ]
    assert await home_assistant.albums.async_filter_albums_by_name("no such album") == []


@pytest.mark.parametrize("edited", [False, True])
async def test_aioimmich_reads_thumbnails_and_previews(
    home_assistant: Immich, family: Family, edited: bool
) -> None:
    path, asset_id = sorted(family.files.items())[-1]
    await eventually(lambda: home_assistant.assets.async_view_asset(str(asset_id)))

    thumbnail = await home_assistant.assets.async_view_asset(str(asset_id), "thumbnail", edited=edited)
    preview = await home_assistant.assets.async_view_asset(str(asset_id), "preview", edited=edited)

    assert assert_is_a_smaller_image(thumbnail, path) < assert_is_a_smaller_image(preview, path)


async def test_aioimmich_uploads_and_adds_to_the_album(
    home_assistant: Immich, as_user: AsyncClient, family: Family, tmp_path: Path
) -> None:
    photo = tmp_path / EXTRA.name
    shutil.copy(EXTRA, photo)

    uploaded = await home_assistant.assets.async_upload_asset(str(photo))

    assert uploaded.status == "created"
    info = await as_user.assets.get_asset_info(UUID(uploaded.asset_id))
    assert info.original_file_name == EXTRA.name
    assert base64.b64decode(info.checksum) == sha1(EXTRA)
    (album,) = await home_assistant.albums.async_get_all_albums()
    (added,) = await home_assistant.albums.async_add_assets_to_album(album.album_id, [uploaded.asset_id])
    assert (added.asset_id, added.success) == (uploaded.asset_id, True)
    again = await home_assistant.assets.async_upload_asset(str(photo))
    assert (again.asset_id, again.status) == (uploaded.asset_id, "duplicate")
    (duplicate,) = await home_assistant.albums.async_add_assets_to_album(album.album_id, [uploaded.asset_id])
    assert (duplicate.success, duplicate.error) == (False, "duplicate")
