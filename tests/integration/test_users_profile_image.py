"""Profile images: upload, serve, replace and delete, and that a file is never half-written nor left
behind by a change that did not commit."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from albumen.config import Settings
from albumen.main import create_app
from tests.integration.test_users import JPEG, PNG, two_users, upload
from tests.support.s3 import running_s3
from tests.support.users import LoggedIn, sign_up_admin


async def test_profile_image_round_trip(client: httpx.AsyncClient, settings: Settings) -> None:
    _admin, alice, bob = await two_users(client)
    content = PNG.read_bytes()
    created = await upload(client, alice, "profile-picture.png", content)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"userId", "profileImagePath", "profileChangedAt"}
    assert body["userId"] == alice.user_id
    path = body["profileImagePath"]
    assert path.startswith(f"profile/{alice.user_id}/")
    assert path.endswith(".png")
    assert (settings.media_dir / path).read_bytes() == content
    me = (await client.get("/users/me", headers=alice.headers)).json()
    assert me["profileImagePath"] == path
    assert me["profileChangedAt"] == body["profileChangedAt"]

    # any signed-in user may fetch it
    fetched = await client.get(f"/users/{alice.user_id}/profile-image", headers=bob.headers)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.content == content

    # a new image replaces the old one, whose file is removed after the change is saved
    jpeg = JPEG.read_bytes()
    replaced = await upload(client, alice, "me.jpg", jpeg)
    assert replaced.status_code == 201
    new_path = replaced.json()["profileImagePath"]
    assert new_path.endswith(".jpg")
    assert not (settings.media_dir / path).exists()
    again = await client.get(f"/users/{alice.user_id}/profile-image", headers=alice.headers)
    assert again.headers["content-type"] == "image/jpeg"
    assert again.content == jpeg
    leftovers = [p.name for p in (settings.media_dir / "profile" / alice.user_id).iterdir()]
    assert leftovers == [Path(new_path).name]

    deleted = await client.delete("/users/profile-image", headers=alice.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/users/{alice.user_id}/profile-image", headers=bob.headers)).status_code == 404
    assert not (settings.media_dir / new_path).exists()
    assert (await client.get("/users/me", headers=alice.headers)).json()["profileImagePath"] == ""
    twice = await client.delete("/users/profile-image", headers=alice.headers)
    assert twice.status_code == 400
    assert twice.json() == {"message": "Can't delete a missing profile Image"}


async def test_profile_image_rejects_what_is_not_an_image(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin = await sign_up_admin(client)
    text = await upload(client, admin, "notes.txt", b"hello")
    assert text.status_code == 400
    assert text.json() == {"message": "Unsupported file type notes.txt"}
    disguised = await upload(client, admin, "evil.png", b"<html><script>alert(1)</script></html>")
    assert disguised.status_code == 400
    assert disguised.json() == {"message": "Unable to process profile image"}
    svg = await upload(client, admin, "logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert svg.status_code == 400
    empty = await upload(client, admin, "empty.png", b"")
    assert empty.status_code == 400
    no_file = await client.post(
        "/users/profile-image", headers=admin.headers, files={"other": ("a.png", b"x")}
    )
    assert no_file.status_code == 400
    assert (await client.get("/users/me", headers=admin.headers)).json()["profileImagePath"] == ""
    profile_dir = settings.media_dir / "profile"
    assert not profile_dir.exists() or not any(profile_dir.rglob("*"))


async def test_profile_image_failures_are_404(client: httpx.AsyncClient, settings: Settings) -> None:
    admin = await sign_up_admin(client)
    none_yet = await client.get(f"/users/{admin.user_id}/profile-image", headers=admin.headers)
    assert none_yet.status_code == 404
    unknown = await client.get(f"/users/{uuid.uuid4()}/profile-image", headers=admin.headers)
    assert unknown.status_code == 404
    created = await upload(client, admin, "a.png", PNG.read_bytes())
    (settings.media_dir / created.json()["profileImagePath"]).unlink()
    vanished = await client.get(f"/users/{admin.user_id}/profile-image", headers=admin.headers)
    assert vanished.status_code == 404
    bad_id = await client.get("/users/not-a-uuid/profile-image", headers=admin.headers)
    assert bad_id.status_code == 400
    assert bad_id.json()["message"] == "Validation failed"


class FailingUpload:
    """An upload whose connection drops after the first chunk."""

    def __init__(self, first: bytes) -> None:
        self.chunks = [first]

    async def read(self, size: int = -1) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        raise ConnectionResetError("client went away")


class Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, size: int = -1) -> bytes:
        size = len(self.data) if size < 0 else size
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


class Boom(Exception):
    """The request fails after the row changed, so its transaction rolls back."""


def auth_of(who: LoggedIn) -> Any:
    from albumen.authn.schemas import AuthContext, AuthUser

    return AuthContext(AuthUser(uuid.UUID(who.user_id), who.email, "Admin", True, None, 0))


async def upload_in_transaction(
    app: Any,
    settings: Settings,
    who: LoggedIn,
    name: str,
    source: Any,
    *,
    then_fail: bool,
    written: list[Path],
) -> None:
    from albumen.users.service import UserService

    async with app.state.container.database.unit_of_work() as session:
        service = UserService(session, profile_storage=app.state.container.storage["profile"])
        result = await service.create_profile_image(auth_of(who), name, source)
        written.append(settings.media_dir / result.profileImagePath)
        assert written[-1].is_file()
        if then_fail:
            raise Boom


async def test_a_broken_upload_leaves_no_file(
    client: httpx.AsyncClient, app: Any, settings: Settings
) -> None:
    admin = await sign_up_admin(client)
    broken = FailingUpload(PNG.read_bytes()[:100])
    with pytest.raises(ConnectionResetError):
        await upload_in_transaction(app, settings, admin, "a.png", broken, then_fail=False, written=[])
    folder = settings.media_dir / "profile" / admin.user_id
    assert not folder.exists() or list(folder.iterdir()) == []
    assert (await client.get("/users/me", headers=admin.headers)).json()["profileImagePath"] == ""


async def test_a_rolled_back_change_removes_the_new_file(
    client: httpx.AsyncClient, app: Any, settings: Settings
) -> None:
    admin = await sign_up_admin(client)
    kept = await upload(client, admin, "kept.png", PNG.read_bytes())
    kept_path = settings.media_dir / kept.json()["profileImagePath"]
    written: list[Path] = []
    source = Bytes(JPEG.read_bytes())
    with pytest.raises(Boom):
        await upload_in_transaction(app, settings, admin, "new.jpg", source, then_fail=True, written=written)
    assert len(written) == 1
    assert not written[0].exists()
    assert kept_path.read_bytes() == PNG.read_bytes()
    served = await client.get(f"/users/{admin.user_id}/profile-image", headers=admin.headers)
    assert served.content == PNG.read_bytes()
    # the same path, committed, keeps the new file and drops the old one
    await upload_in_transaction(
        app, settings, admin, "new.jpg", Bytes(JPEG.read_bytes()), then_fail=False, written=written
    )
    assert written[1].read_bytes() == JPEG.read_bytes()
    assert not kept_path.exists()


async def test_profile_images_live_in_the_configured_location(settings: Settings, tmp_path: Path) -> None:
    """`storage.profile` on a bucket: the image is an object there, nothing lands on the local disk."""
    with running_s3(tmp_path / "s3") as s3:
        query = urlencode(
            {"endpoint": s3.endpoint, "region": "us-east-1", "access_key_id": s3.access_key,
             "secret_access_key": s3.secret_key}
        )  # fmt: skip
        storage = settings.storage.model_copy(update={"profile": f"s3://{s3.bucket}/avatars?{query}"})
        application = create_app(settings.model_copy(update={"storage": storage}))
        transport = httpx.ASGITransport(app=application)
        async with (
            application.router.lifespan_context(application),
            httpx.AsyncClient(transport=transport, base_url="http://testserver/api") as client,
        ):
            admin = await sign_up_admin(client)
            content = PNG.read_bytes()
            created = await upload(client, admin, "me.png", content)
            assert created.status_code == 201, created.text
            key = created.json()["profileImagePath"]
            assert (s3.root / s3.bucket / "avatars" / key).read_bytes() == content
            assert not (settings.media_dir / "profile").exists()
            served = await client.get(f"/users/{admin.user_id}/profile-image", headers=admin.headers)
            assert served.status_code == 200
            assert served.content == content
            assert served.headers["content-type"] == "image/png"
            assert "cache-control" not in served.headers  # as Immich: a new picture keeps the URL
            assert (await client.delete("/users/profile-image", headers=admin.headers)).status_code == 204
            assert not (s3.root / s3.bucket / "avatars" / key).exists()


async def test_avatars_of_an_older_install_move_into_the_profile_location(settings: Settings) -> None:
    """Before `storage.profile` was honoured, avatars lived in `<data_dir>/profile` (same keys)."""

    async def started() -> Any:
        application = create_app(settings)
        return application, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://testserver/api"
        )

    application, client = await started()
    async with application.router.lifespan_context(application), client:
        admin = await sign_up_admin(client)
        key = (await upload(client, admin, "me.png", PNG.read_bytes())).json()["profileImagePath"]
    stored = settings.media_dir / key
    legacy = settings.data_dir / key
    legacy.parent.mkdir(parents=True)
    stored.rename(legacy)
    (legacy.parent / ".half-written.tmp").write_bytes(b"partial")

    application, client = await started()
    async with application.router.lifespan_context(application), client:
        served = await client.get(f"/users/{admin.user_id}/profile-image", headers=admin.headers)
    assert served.status_code == 200, served.text
    assert served.content == PNG.read_bytes()
    assert stored.read_bytes() == PNG.read_bytes()
    assert not (settings.data_dir / "profile").exists()
