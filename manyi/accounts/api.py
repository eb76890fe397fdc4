"""REST operations on the caller and the organisation's stores."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Status

from manyi.accounts.models import Organisation, Store, User
from manyi.accounts.services import create_store
from manyi.calendars.models import BusinessCalendar
from manyi.core.api_support import Input, Output, StoreRef, org_id, require_org_admin, user_of
from manyi.core.errors import ValidationFailed
from manyi.core.scoping import stores_for

router = Router(tags=["accounts"])


class Ref(Output):
    id: int
    name: str


class MeOut(Output):
    id: int
    username: str
    display_name: str
    role: str
    organisation: Ref | None
    store: StoreRef | None
    is_org_wide: bool
    is_org_admin: bool
    can_view_personal_data: bool


class StoreOut(Output):
    id: int
    code: str
    name: str
    calendar: int | None = Field(description="Id of the store's business calendar.")


class StoreIn(Input):
    name: str = Field(max_length=200, examples=["浦东店"])
    code: str = Field(max_length=30, examples=["PD"])
    calendar: int | None = Field(None, description="Id of a calendar of the organisation.")


def store_out(store: Store) -> dict[str, object]:
    return {"id": store.pk, "code": store.code, "name": store.name, "calendar": store.calendar_id}


@router.get("/me", response=MeOut, summary="The caller")
def me(request: HttpRequest) -> dict[str, object]:
    """Who the token belongs to, their role and what they may see."""
    user = User.objects.select_related("organisation", "store").get(pk=user_of(request).pk)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "role": user.role,
        "organisation": (
            {"id": user.organisation.pk, "name": user.organisation.name}
            if user.organisation
            else None
        ),
        "store": (
            {"id": user.store.pk, "code": user.store.code, "name": user.store.name}
            if user.store
            else None
        ),
        "is_org_wide": user.is_org_wide,
        "is_org_admin": user.is_org_admin,
        "can_view_personal_data": user.can_view_personal_data,
    }


@router.get("/stores", response=list[StoreOut], summary="List stores")
def list_stores(request: HttpRequest) -> list[dict[str, object]]:
    """The stores the caller works in: all of the organisation's for managers and admins."""
    return [store_out(s) for s in stores_for(user_of(request)).order_by("code")]


@router.post("/stores", response={201: StoreOut}, summary="Create a store")
def add_store(request: HttpRequest, payload: StoreIn) -> Status[dict[str, object]]:
    """Organisation admins only."""
    user = user_of(request)
    require_org_admin(user)
    organisation = Organisation.objects.get(pk=org_id(user))
    calendar = None
    if payload.calendar is not None:
        calendar = BusinessCalendar.objects.filter(
            organisation_id=org_id(user), pk=payload.calendar
        ).first()
        if calendar is None:
            raise ValidationFailed({"calendar": [_("Unknown calendar.")]})
    store = create_store(
        organisation=organisation, name=payload.name, code=payload.code, calendar=calendar
    )
    return Status(201, store_out(store))
