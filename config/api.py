"""The REST API, mounted at /api/v1/: token auth, one error shape, Idempotency-Key on POST.
See docs/api.md."""

from ninja import Router

from manyi.accounts.api import router as accounts_router
from manyi.calendars.api import router as calendars_router
from manyi.cases.api import router as cases_router
from manyi.cases.api_comms import router as comms_router
from manyi.cases.api_policies import router as policies_router
from manyi.cases.api_public import router as public_router
from manyi.core.api_idempotency import document_idempotency, idempotent
from manyi.core.api_support import BearerAuth, ManyiAPI, install_error_handlers
from manyi.customers.api import router as customers_router
from manyi.followups.api import router as followups_router
from manyi.recovery.api import router as recovery_router
from manyi.recovery.api_guarantees import router as guarantees_router
from manyi.surveys.api import router as surveys_router
from manyi.surveys.api_results import router as survey_results_router

ROUTERS: tuple[Router, ...] = (
    accounts_router,
    calendars_router,
    policies_router,
    customers_router,
    cases_router,
    comms_router,
    recovery_router,
    guarantees_router,
    followups_router,
    surveys_router,
    survey_results_router,
    public_router,
)

api = ManyiAPI(
    title="Manyi API",
    version="1",
    description="Complaint cases with SLA clocks, customers, business calendars, SLA "
    "policies, service recovery, follow-ups and satisfaction surveys. "
    "Send `Authorization: Bearer <token>` (from `manyi token --username U`). "
    'Errors: `{"error": {"code", "message", "fields": {field: [messages]}}}`.',
    urls_namespace="api-v1",
    auth=BearerAuth(),
)
install_error_handlers(api)
api.add_decorator(idempotent, mode="view")
for router in ROUTERS:
    api.add_router("", router)
document_idempotency(ROUTERS)
