"""The partner reply: the other user's public profile and whether it shows in the caller's timeline."""

from __future__ import annotations

from albumen.immich import dto
from albumen.models import Partner, User
from albumen.users.schemas import user_dto


def partner_dto(partner: Partner, other: User) -> dto.PartnerResponseDto:
    profile = user_dto(other).model_dump()
    return dto.PartnerResponseDto(**profile, inTimeline=partner.in_timeline)
