"""The album e-mails' text and HTML, Immich's wording; an admin's custom template (system config
`templates.email.*`) replaces the body, its `{name}` tags filled in as Immich does."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

DEFAULT_EXTERNAL_DOMAIN = "http://localhost:2283"
# The album thumbnail goes inline, referenced from the HTML by this content id (as Immich's mails).
THUMBNAIL_CID = "album-thumbnail"
_TAG = re.compile(r"{(.*?)}")


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    html: str
    text: str
    # The album thumbnail's key in the thumbnails storage, attached inline as THUMBNAIL_CID.
    thumbnail_key: str | None = None

    def as_job(self) -> dict[str, Any]:
        return {
            "to": self.to, "subject": self.subject, "html": self.html, "text": self.text,
            "thumbnailKey": self.thumbnail_key,
        }  # fmt: skip

    @classmethod
    def from_job(cls, data: dict[str, Any]) -> Email:
        key = data.get("thumbnailKey")
        return cls(
            to=str(data["to"]), subject=str(data["subject"]), html=str(data["html"]), text=str(data["text"]),
            thumbnail_key=str(key) if key else None,
        )  # fmt: skip


def external_domain(config: dict[str, Any]) -> str:
    return str(config["server"]["externalDomain"] or DEFAULT_EXTERNAL_DOMAIN).rstrip("/")


def fill_tags(template: str, variables: dict[str, str]) -> str:
    """`{name}` becomes the variable, HTML-escaped (names come from users); unknown tags stay as written."""
    return _TAG.sub(lambda tag: html.escape(variables[tag[1]]) if variables.get(tag[1]) else tag[0], template)


def _page(body_html: str, link: str, button: str, *, thumbnail: bool = False) -> str:
    image = f'<p><img src="cid:{THUMBNAIL_CID}" alt="" style="max-width: 300px"></p>' if thumbnail else ""
    return (
        '<!DOCTYPE html><html><body style="font-family: sans-serif">'
        f'{body_html}{image}<p><a href="{html.escape(link)}">{html.escape(button)}</a></p>'
        '<p style="color: #777">Sent by your Immich-compatible server (Albumen).</p></body></html>'
    )


def _text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def album_invite_email(
    *,
    to: str,
    recipient: str,
    sender: str,
    album_name: str,
    album_id: str,
    base_url: str,
    custom: str,
    thumbnail_key: str | None = None,
) -> Email:
    link = f"{base_url}/albums/{album_id}"
    variables = {
        "albumName": album_name, "recipientName": recipient, "senderName": sender,
        "albumId": album_id, "baseUrl": base_url,
    }  # fmt: skip
    body = (
        fill_tags(custom, variables)
        if custom
        else (
            f"<p>Hey <strong>{html.escape(recipient)}</strong>!</p>"
            f"<p>{html.escape(sender)} has added you to the album"
            f" <strong>{html.escape(album_name)}</strong>.</p>"
        )
    )
    return Email(
        to=to,
        subject=f"You have been added to a shared album - {album_name}",
        html=_page(body, link, "View album", thumbnail=thumbnail_key is not None),
        text=f"{_text_of(body)}\n\nView album: {link}\n",
        thumbnail_key=thumbnail_key,
    )


def album_update_email(
    *,
    to: str,
    recipient: str,
    album_name: str,
    album_id: str,
    base_url: str,
    custom: str,
    thumbnail_key: str | None = None,
) -> Email:
    link = f"{base_url}/albums/{album_id}"
    variables = {
        "albumName": album_name,
        "recipientName": recipient,
        "albumId": album_id,
        "baseUrl": base_url,
    }
    body = (
        fill_tags(custom, variables)
        if custom
        else (
            f"<p>Hey <strong>{html.escape(recipient)}</strong>!</p>"
            f"<p>New media has been added to <strong>{html.escape(album_name)}</strong>,"
            " check it out!</p>"
        )
    )
    return Email(
        to=to,
        subject=f"New media has been added to an album - {album_name}",
        html=_page(body, link, "View album", thumbnail=thumbnail_key is not None),
        text=f"{_text_of(body)}\n\nView album: {link}\n",
        thumbnail_key=thumbnail_key,
    )


def welcome_email(
    *, to: str, display_name: str, username: str, password: str | None, base_url: str, custom: str
) -> Email:
    variables = {
        "displayName": display_name,
        "username": username,
        "password": password or "",
        "baseUrl": base_url,
    }
    credentials = f"<strong>Username</strong>: {html.escape(username)}"
    if password:
        credentials += f"<br><strong>Password</strong>: {html.escape(password)}"
    body = (
        fill_tags(custom, variables)
        if custom
        else (
            f"<p>Hey <strong>{html.escape(display_name)}</strong>!</p>"
            f"<p>A new account has been created for you.</p><p>{credentials}</p>"
        )
    )
    link = f"{base_url}/auth/login"
    return Email(
        to=to,
        subject="Welcome to Immich",
        html=_page(body, link, "Login"),
        text=f"{_text_of(body.replace('<br>', chr(10)))}\n\nLogin: {link}\n",
    )
